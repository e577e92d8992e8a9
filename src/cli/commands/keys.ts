import type { Command } from 'commander';
import { createApiKey, listApiKeys, revokeApiKey } from '../../api/apiKeys.js';
import { roles, type Role } from '../../db/models/apiKey.js';
import { CliError, printJson, status } from '../output.js';
import { withDatabase } from '../withDatabase.js';

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('API keys (stored hashed; a key is shown once)');

  keys
    .command('create')
    .description('create an API key and print it once')
    .requiredOption('--role <role>', `one of ${roles.join(', ')}`)
    .requiredOption('--name <name>', 'who or what uses the key')
    .option('--rate-limit <n>', 'requests per minute for this key (0 = unlimited; default: API_RATE_LIMIT_PER_MINUTE)')
    .option('--json', 'print {key, role, name} as JSON')
    .action(async (opts: { role: string; name: string; rateLimit?: string; json?: boolean }) => {
      if (!roles.includes(opts.role as Role))
        throw new CliError(`--role must be one of ${roles.join(', ')}, got "${opts.role}"`);
      const rateLimitPerMinute = opts.rateLimit === undefined ? undefined : Number(opts.rateLimit);
      if (rateLimitPerMinute !== undefined && !(Number.isInteger(rateLimitPerMinute) && rateLimitPerMinute >= 0)) {
        throw new CliError(
          `--rate-limit must be a whole number of requests per minute (0 = unlimited), got "${opts.rateLimit}"`,
        );
      }
      const created = await withDatabase((db) =>
        createApiKey(db.models, { role: opts.role as Role, name: opts.name, rateLimitPerMinute }),
      );
      if (opts.json) printJson({ key: created.key, role: created.role, name: created.name });
      else {
        status(`created ${created.role} key "${created.name}" (shown once, store it now):`);
        process.stdout.write(`${created.key}\n`);
      }
    });

  keys
    .command('list')
    .description('list API keys (never the secrets)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await withDatabase((db) => listApiKeys(db.models));
      if (opts.json) printJson(list);
      else
        for (const k of list)
          process.stdout.write(`${k.id}  ${k.role.padEnd(8)} ${k.name}${k.revokedAt ? '  (revoked)' : ''}\n`);
    });

  keys
    .command('revoke <id>')
    .description('revoke an API key by id')
    .action(async (id: string) => {
      const revoked = await withDatabase((db) => revokeApiKey(db.models, id));
      if (!revoked.ok) throw new CliError(`no API key with id ${id}`);
      status(`revoked ${id}`);
    });
}
