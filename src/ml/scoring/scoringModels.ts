import type * as tf from '@tensorflow/tfjs';
import type { Database } from '../../db/database.js';
import type { BtydParams } from '../btyd/btydInputs.js';
import { CHURN_MODEL, churnMetaSchema, type ChurnMeta } from '../churn/index.js';
import { firstPurchaseMetaSchema, type FirstPurchaseMeta } from '../firstPurchase/meta.js';
import { FIRST_PURCHASE_MODEL } from '../firstPurchase/registry.js';
import { LTV_MODEL, loadLtvVersion, type LtvRegistryMeta } from '../ltv/index.js';
import { loadActiveOrPrevious, loadNetworkVersion, type ModelVersionRecord, type RegistryResult } from '../registry.js';
import { loadSendTimeVersion, SEND_TIME_MODEL, type TrainedSendTimeVersion } from '../sendTime/index.js';

/** The model versions one scoring run uses, loaded once, and what happened to the ones it could not use. */
export interface ScoringModels {
  churn?: { model: tf.LayersModel; meta: ChurnMeta; version: string };
  firstPurchase?: { model: tf.LayersModel; meta: FirstPurchaseMeta; version: string };
  ltv?: { model: tf.LayersModel; meta: LtvRegistryMeta; version: string };
  sendTime?: { model: TrainedSendTimeVersion['model']; version: string };
  /** One line per model that is skipped or replaced by an earlier version, and why. */
  notes: string[];
  /** Model names with no usable version: their scores are not written. */
  missing: string[];
  /** Model names scored with an earlier version because the active one's files were refused. */
  fallback: string[];
}

/**
 * Loads the active churn, first-purchase, LTV and send-time versions. A model with no active version is
 * skipped; an active version whose files are missing or corrupt is refused and the most recent
 * earlier version that loads is used instead. Either way the notes say so.
 */
export async function loadScoringModels(database: Database): Promise<ScoringModels> {
  const out: ScoringModels = { notes: [], missing: [], fallback: [] };
  const load = async <T>(
    name: string,
    loader: (record: ModelVersionRecord) => Promise<RegistryResult<T>>,
  ): Promise<(T & { version: string }) | undefined> => {
    const found = await loadActiveOrPrevious(database, name, loader);
    if (!found.ok) {
      out.missing.push(name);
      out.notes.push(`${name}: not scored: ${found.error.message}`);
      return undefined;
    }
    const { value, record, refused } = found.value;
    if (refused.length > 0) {
      out.fallback.push(name);
      out.notes.push(
        `${name}: using ${record.version}; refused ${refused.map((r) => `${r.version} (${r.reason})`).join(', ')}`,
      );
    }
    return { ...value, version: record.version };
  };
  const churn = await load(CHURN_MODEL, (record) => loadNetworkVersion(record, churnMetaSchema));
  if (churn) out.churn = churn;
  const firstPurchase = await load(FIRST_PURCHASE_MODEL, (record) =>
    loadNetworkVersion(record, firstPurchaseMetaSchema),
  );
  if (firstPurchase) out.firstPurchase = firstPurchase;
  const ltv = await load(LTV_MODEL, loadLtvVersion);
  if (ltv) out.ltv = ltv;
  const sendTime = await load(SEND_TIME_MODEL, async (record) => {
    const loaded = await loadSendTimeVersion(record);
    return loaded.ok ? { ok: true as const, value: { model: loaded.value } } : loaded;
  });
  if (sendTime) out.sendTime = sendTime;
  return out;
}

/** BG/NBD parameters for the expected next-order date: the LTV model's (longer horizon), else the churn model's. */
export function btydParamsOf(models: ScoringModels): BtydParams | undefined {
  return models.ltv?.meta.btyd ?? models.churn?.meta.btyd ?? undefined;
}

export function disposeScoringModels(models: ScoringModels): void {
  models.churn?.model.dispose();
  models.firstPurchase?.model.dispose();
  models.ltv?.model.dispose();
  models.sendTime?.model.network?.dispose();
}
