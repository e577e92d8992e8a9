import type { Database } from '../../db/database.js';
import type { FlowDoc } from '../../db/models/flow.js';
import { insertIgnoringDuplicates } from '../../ingest/identity.js';
import { builtInFlows } from './builtInFlows.js';
import { flowSchema, type Flow } from './flowSchema.js';

export function toFlowDoc(flow: Flow, builtIn: boolean, now = new Date()): FlowDoc {
  const { id, ...rest } = flow;
  return { _id: id, ...rest, builtIn, createdAt: now, updatedAt: now };
}

export function fromFlowDoc(doc: Record<string, unknown>): ReturnType<typeof flowSchema.safeParse> {
  const { _id, builtIn: _b, createdAt: _c, updatedAt: _u, ...rest } = doc;
  return flowSchema.safeParse({ id: _id, ...rest });
}

/** Stores the built-in flows that are not stored yet; a stored flow (maybe edited) is never overwritten. */
export async function installBuiltInFlows(database: Database): Promise<number> {
  const docs = builtInFlows.map((f) => toFlowDoc(f, true));
  return docs.length - (await insertIgnoringDuplicates(database.collections.flows, docs)).size;
}

export interface LoadedFlows {
  flows: Flow[];
  /** Stored flows that no longer validate: skipped, with the first problem. */
  invalid: { id: string; error: string }[];
}

/** Every stored flow that validates (active or not), built-ins installed first. */
export async function loadFlows(database: Database): Promise<LoadedFlows> {
  await installBuiltInFlows(database);
  const flows: Flow[] = [];
  const invalid: LoadedFlows['invalid'] = [];
  for (const doc of await database.collections.flows.find({}).sort({ _id: 1 }).toArray()) {
    const parsed = fromFlowDoc(doc as Record<string, unknown>);
    if (parsed.success) flows.push(parsed.data);
    else invalid.push({ id: String(doc._id), error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)[0] ?? 'invalid' });
  }
  return { flows, invalid };
}
