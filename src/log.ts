import pino from 'pino';
import { config } from './config.js';

/**
 * One process-wide logger; modules take children with their own bindings. It writes to stderr so
 * that stdout carries only data (`--json` output of the CLI and jobs).
 */
export const log = pino(
  {
    level: process.env.LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info'),
    base: { service: 'breadcrumb' },
    redact: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.secret', 'config.MONGODB_URI'],
  },
  pino.destination(2),
);

export function setLogLevel(level: string = config().LOG_LEVEL): void {
  log.level = level;
}
