import type { Database } from '../../db/database.js';
import type { ScoreWatch } from '../../ml/scoring/predictionEvents.js';
import { loadFlows } from './flowStore.js';

/**
 * The churn thresholds the scoring run watches: those of every stored flow with a churn_risk
 * trigger (inactive ones too, so reactivating a flow finds its crossings recorded). A flow
 * created between two scorings sees the crossings from the next one on.
 */
export async function scoreWatchOf(database: Database): Promise<ScoreWatch> {
  const { flows } = await loadFlows(database);
  const thresholds = flows.flatMap((f) => (f.trigger.type === 'churn_risk' ? [f.trigger.threshold] : []));
  return { churnThresholds: [...new Set(thresholds)].sort((a, b) => a - b) };
}
