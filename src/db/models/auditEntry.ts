import { Schema } from 'mongoose';

/**
 * Who did something sensitive, and when: a privacy export or erasure. Holds no personal data of
 * the person concerned (an erasure record that named them would defeat the erasure): only the
 * action, the actor (an API key id, or the operating-system user of a CLI run) and counts.
 */
export const auditEntrySchema = new Schema(
  {
    action: { type: String, enum: ['privacy.export', 'privacy.erase'], required: true },
    actorType: { type: String, enum: ['api_key', 'cli'], required: true },
    actorId: { type: String, required: true },
    at: { type: Date, required: true },
    /** What the action touched, by collection (documents exported, deleted or anonymised). */
    counts: { type: Schema.Types.Mixed, default: {} },
  },
  { collection: 'audit_log', versionKey: false, minimize: false },
);

/** One `audit_log` entry. */
export interface AuditEntryDoc {
  action: 'privacy.export' | 'privacy.erase';
  actorType: 'api_key' | 'cli';
  actorId: string;
  at: Date;
  counts: Record<string, number>;
}
