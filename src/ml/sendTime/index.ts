export { createSendTimeNetwork, type SendTimeModel } from './model.js';
export {
  fitSendTime,
  type FitSendTimeOptions,
  type SendTimeTrainingData,
  type TrainedSendTimeVersion,
} from './train.js';
export { predictSendTime, predictSendTimeBatch, type FeatureRows, type SendTimePrediction } from './score.js';
export { evaluateSendTime, type SendTimeMetrics } from './evaluate.js';
export type { SendTimeBase, SendTimeMeta, SendTimeRegistryMeta } from './meta.js';
export { mostFrequentPastHour, shopWideBestHour } from './baselines.js';
export { HOURS } from './hours.js';
export {
  loadSendTimeModel,
  loadSendTimeVersion,
  registerSendTimeModel,
  saveSendTimeModel,
  SEND_TIME_MODEL,
  sendTimeTrainer,
} from './registry.js';
