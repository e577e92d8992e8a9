import type { Database } from '../../db/database.js';

/** The stored experiments (those of one flow, when given) with their latest results, by id. */
export async function storedExperiments(database: Database, flowId?: string) {
  return database.collections.experiments
    .find(flowId ? { flowId } : {})
    .sort({ _id: 1 })
    .toArray();
}
