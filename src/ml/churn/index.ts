export { createChurnModel, type ChurnModelOptions } from './model.js';
export { trainChurn, type EpochLog, type TrainChurnOptions, type TrainChurnResult } from './train.js';
export { churnLoss, churnStepper, type ChurnBatch } from './trainStep.js';
export { scoreChurn, driverImportance, type ChurnScores, type Driver, type ScoreOptions } from './score.js';
export { calibrationBinSchema, churnMetaSchema, type ChurnMeta, type ChurnMetrics } from './meta.js';
export { fitLogistic, sigmoid } from './logistic.js';
export { CHURN_MODEL, churnRegistryMetrics, churnTrainer, loadChurnModel, registerChurnModel } from './registry.js';
export { classifier } from './classifier.js';
