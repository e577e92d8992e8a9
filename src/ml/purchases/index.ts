export { createPurchasesModel, type PurchasesModelOptions } from './model.js';
export { trainPurchases, type TrainedPurchases, type TrainPurchasesOptions } from './train.js';
export { scorePurchases } from './score.js';
export type { PurchasesMeta } from './meta.js';
