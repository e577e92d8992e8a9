import { classifier } from '../churn/index.js';
import { NAIVE_FEATURES } from './evaluate.js';
import { firstPurchaseMetaSchema, type FirstPurchaseMeta } from './meta.js';
import { prospectColumn, trainFirstPurchase } from './train.js';

export const FIRST_PURCHASE_MODEL = 'first-purchase';

const firstPurchase = classifier({
  name: FIRST_PURCHASE_MODEL,
  metaSchema: firstPurchaseMetaSchema,
  metrics: ({ metrics: m }: FirstPurchaseMeta) => ({
    baselineBestNaiveAuc: m.baselines.best.auc,
    baselineConstantBrier: m.baselines.constant.brier,
    purchaseRate: m.purchaseRate.train,
  }),
  train: trainFirstPurchase,
  // Prospects only (no order before T), the naive features kept raw for the baselines and the gate.
  setOptions: { population: 'prospects', keepRaw: NAIVE_FEATURES },
  // Scoring prospects only: judged on the validation prospects, through the columns its network reads.
  naive: { task: 'first-purchase', cohorts: ['prospects'], columns: prospectColumn },
});

export const firstPurchaseRegistryMetrics = firstPurchase.registryMetrics;
export const registerFirstPurchaseModel = firstPurchase.register;
export const loadFirstPurchaseModel = firstPurchase.load;
/** train-first-purchase's part: registered and promoted by test AUC, as churn is. */
export const firstPurchaseTrainer = firstPurchase.trainer;
