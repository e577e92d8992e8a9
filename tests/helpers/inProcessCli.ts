import { Command } from 'commander';
import { inject, vi } from 'vitest';
import { resetConfig } from '../../src/config.js';
import type { Database } from '../../src/db/database.js';

/**
 * Runs `breadcrumb <group> …` as the CLI would, in this process (a tsx start-up per call is slow
 * on a shared machine), against the test file's database, and returns what it printed on stdout.
 * MONGODB_URI points at that database while `body` runs.
 */
export async function withInProcessCli<T>(
  database: Database,
  register: (program: Command) => void,
  group: string,
  body: (cli: (...args: string[]) => Promise<string>) => Promise<T>,
): Promise<T> {
  process.env.MONGODB_URI = `${inject('mongoUri').replace(/\/?$/, '/')}${database.db.databaseName}`;
  resetConfig();
  const cli = async (...args: string[]): Promise<string> => {
    const program = new Command('breadcrumb').exitOverride();
    register(program);
    let out = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += chunk.toString();
      return true;
    });
    try {
      await program.parseAsync(['node', 'breadcrumb', group, ...args]);
    } finally {
      write.mockRestore();
    }
    return out;
  };
  try {
    return await body(cli);
  } finally {
    delete process.env.MONGODB_URI;
    resetConfig();
  }
}
