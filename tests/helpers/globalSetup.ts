import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbedded, type EmbeddedServer } from '../../src/db/embedded.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
  }
}

let server: EmbeddedServer | undefined;
let dataDir: string | undefined;

/** One real database server for the whole run: TEST_MONGODB_URI if given, else an embedded one. */
export async function setup(project: TestProject): Promise<void> {
  let uri = process.env.TEST_MONGODB_URI;
  if (!uri) {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'breadcrumb-test-'));
    server = await startEmbedded({ dataDir, status: (m) => console.error(m) });
    uri = server.uri;
  }
  project.provide('mongoUri', uri);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
}
