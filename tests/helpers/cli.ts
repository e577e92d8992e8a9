import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import type { Database } from '../../src/db/database.js';

const run = promisify(execFile);

/** Runs `breadcrumb <args>` in a child process against the test file's database. */
export function runCli(database: Database, ...args: string[]) {
  const uri = new URL(inject('mongoUri'));
  uri.pathname = `/${database.db.databaseName}`;
  return run('npx', ['tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, MONGODB_URI: uri.toString() },
    encoding: 'utf8',
  });
}
