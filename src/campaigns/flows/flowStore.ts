import type { Database } from '../../db/database.js';
import { insertIgnoringDuplicates } from '../../db/insertIgnoringDuplicates.js';
import type { FlowDoc } from '../../db/models/flow.js';
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

/** The stored document of flow `id`, or null. */
export async function storedFlowDoc(database: Database, id: string) {
  return database.collections.flows.findOne({ _id: id });
}

/** The ids of the stored built-in flows. */
export async function builtInFlowIds(database: Database): Promise<Set<string>> {
  return new Set(
    (await database.collections.flows.find({ builtIn: true }, { projection: { _id: 1 } }).toArray()).map((d) =>
      String(d._id),
    ),
  );
}

/** Stores a new flow; false when a flow with its id is stored already. */
export async function createFlow(database: Database, flow: Flow): Promise<boolean> {
  return (await insertIgnoringDuplicates(database.collections.flows, [toFlowDoc(flow, false)])).size === 0;
}

/** Replaces a stored flow, keeping whether it is built in and when it was created. */
export async function replaceFlow(database: Database, flow: Flow, current: Record<string, unknown>): Promise<FlowDoc> {
  const doc = { ...toFlowDoc(flow, current.builtIn === true), createdAt: current.createdAt as Date };
  await database.collections.flows.replaceOne({ _id: flow.id }, doc);
  return doc;
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
    else
      invalid.push({
        id: String(doc._id),
        error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)[0] ?? 'invalid',
      });
  }
  return { flows, invalid };
}
