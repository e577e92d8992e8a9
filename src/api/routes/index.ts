import type { RouteDefinition } from '../defineRoute.js';
import { eventRoutes } from './events.js';
import { customerFeatureRoutes } from './customerFeatures.js';
import { experimentRoutes } from './experiments.js';
import { featureRoutes } from './features.js';
import { flowRoutes } from './flows.js';
import { healthRoutes } from './health.js';
import { jobRoutes } from './jobs.js';
import { keyRoutes } from './keys.js';
import { modelRoutes } from './models.js';
import { segmentBatchRoutes } from './segmentBatch.js';
import { signupRoutes } from './signups.js';
import { customerRoutes } from './customers.js';
import { segmentsRoutes } from './segments.js';
import { segmentPreviewRoutes } from './segmentPreview.js';
import { reportRoutes } from './reports.js';
import { reportsTrackingRoutes } from './reportsTracking.js';
import { privacyRoutes } from './privacy.js';
import { scoresRoutes } from './scores.js';
import { mergeRoutes } from './merges.js';
import { weatherRoutes } from './weather.js';

/** Every route of the API; a new route module adds its array here. */
export const routes: readonly RouteDefinition[] = [
  ...healthRoutes,
  ...jobRoutes,
  ...keyRoutes,
  ...eventRoutes,
  ...segmentBatchRoutes,
  ...featureRoutes,
  ...customerFeatureRoutes,
  ...modelRoutes,
  ...segmentPreviewRoutes,
  ...segmentsRoutes,
  ...customerRoutes,
  ...scoresRoutes,
  ...signupRoutes,
  ...reportRoutes,
  ...reportsTrackingRoutes,
  ...flowRoutes,
  ...experimentRoutes,
  ...privacyRoutes,
  ...mergeRoutes,
  ...weatherRoutes,
];
