export { createLtvModel, type LtvModelOptions } from './model.js';
export {
  trainLtv,
  type LtvTrainingData,
  type TrainedLtv,
  type TrainedLtvVersion,
  type TrainLtvOptions,
} from './train.js';
export { logExpectedValue, scoreLtv } from './score.js';
export { evaluateLtv, type LtvMetrics } from './evaluate.js';
export type { LtvMeta, LtvRegistryMeta } from './meta.js';
export { blendPredictions, chooseBlendWeight } from './blendWeight.js';
export { LTV_MODEL, loadLtvModel, loadLtvVersion, ltvTrainer, registerLtvModel, saveLtvModel } from './registry.js';
