import os from 'node:os';
import type { Database } from '../db/database.js';

/** Who asked: an API key (its id, never the secret) or a command-line run (the operating-system user). */
export interface Actor {
  type: 'api_key' | 'cli';
  id: string;
}

export const cliActor = (): Actor => ({ type: 'cli', id: os.userInfo().username });

/**
 * Appends an audit entry (insert-only, `audit_log`). It names the action, the actor, the time
 * and how many documents were touched per collection; never the person concerned, whose id or
 * address in the log would outlive their erasure.
 */
export async function recordAudit(
  database: Database,
  action: 'privacy.export' | 'privacy.erase',
  actor: Actor,
  at: Date,
  counts: Record<string, number>,
): Promise<void> {
  await database.collections.auditLog.insertOne({ action, actorType: actor.type, actorId: actor.id, at, counts });
}
