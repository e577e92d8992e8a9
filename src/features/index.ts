export {
  buildFeatures,
  foldContext,
  folds,
  FEATURE_VERSION,
  type BuildOptions,
  type FeatureName,
  type FeatureValues,
} from './buildFeatures.js';
export { featureCatalog, featureCatalogMarkdown, featureNames, type CatalogEntry } from './catalog.js';
export type { FeatureMeta, FoldEvent } from './defineFold.js';
export { BUILD_FEATURES_JOB, refreshFeatures, type RefreshOptions } from './refreshFeatures.js';
export { snapshotId } from './store.js';
