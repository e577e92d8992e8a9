import { BUYER_COHORTS } from '../naiveBaselines.js';
import { classifier } from './classifier.js';
import { churnMetaSchema, type ChurnMeta } from './meta.js';
import { trainChurn } from './train.js';

export const CHURN_MODEL = 'churn';

const churn = classifier({
  name: CHURN_MODEL,
  metaSchema: churnMetaSchema,
  metrics: ({ metrics: m }: ChurnMeta) => ({
    baselineRecencyAuc: m.baselines.recency.auc,
    baselineBgnbdAuc: m.baselines.bgnbd.auc,
    baselineConstantBrier: m.baselines.constant.brier,
    churnRate: m.churnRate.train,
  }),
  train: trainChurn,
  // Trained on buyers and scoring buyers only: judged on the validation buyers, one-time and repeat apart.
  naive: { task: 'churn', cohorts: BUYER_COHORTS },
});

export const churnRegistryMetrics = churn.registryMetrics;
export const registerChurnModel = churn.register;
export const loadChurnModel = churn.load;
/** train-churn's part: the network on the training set, then registration under the AUC rule. */
export const churnTrainer = churn.trainer;
