export { trainFirstPurchase, type TrainFirstPurchaseOptions, type TrainFirstPurchaseResult } from './train.js';
export { naiveBaselines, NAIVE_FEATURES, ordered } from './evaluate.js';
export { firstPurchaseMetaSchema, type FirstPurchaseMeta, type FirstPurchaseMetrics } from './meta.js';
export {
  FIRST_PURCHASE_MODEL,
  firstPurchaseRegistryMetrics,
  firstPurchaseTrainer,
  loadFirstPurchaseModel,
  registerFirstPurchaseModel,
} from './registry.js';
