import type { Collection, Document } from 'mongodb';
import type { ApiKeyDoc } from './models/apiKey.js';
import type { AuditEntryDoc } from './models/auditEntry.js';
import type { CustomerDoc } from './models/customer.js';
import type { StoredEvent } from './models/event.js';
import type { ExperimentDoc } from './models/experiment.js';
import type { FeatureDoc, FeatureSnapshotDoc } from './models/feature.js';
import type { CampaignStateDoc, EnrollmentDoc, FlowDoc } from './models/flow.js';
import type { IdentityDoc } from './models/identity.js';
import type { Models } from './models/index.js';
import type { JobLeaseDoc, JobRunDoc } from './models/jobRun.js';
import type { CustomerEmailDoc, MergeAliasDoc, MergeDoc } from './models/merge.js';
import type { ClaimDoc, MessageDoc } from './models/message.js';
import type { ModelVersionDoc } from './models/modelVersion.js';
import type { ProductDoc } from './models/product.js';
import type { CustomerRecoDoc, ProductStatDoc } from './models/recommendation.js';
import type { ReportDoc } from './models/report.js';
import type { RunningJobDoc } from './models/runningJob.js';
import type { ScoreDoc } from './models/score.js';
import type { CustomerSegmentsDoc, MemberPageDoc, SegmentCountDoc, SegmentDoc } from './models/segment.js';
import type { SimTruthDoc } from './models/simTruth.js';
import type { SuppressionDoc } from './models/suppression.js';
import type {
  CustomerTimelineDoc,
  EventInboxDoc,
  FoldLeaseDoc,
  FoldStatsDoc,
  TimelineChangeDoc,
} from './models/timeline.js';
import type { TrackingDayDoc } from './models/trackingDay.js';
import type { WeatherDoc } from './models/weather.js';
import type { WebhookDeliveryDoc } from './models/webhookDelivery.js';

/**
 * The driver collection behind a model, typed by its stored document. It is the model's own
 * collection (not `db.collection(name)`), so a call made while the server is unreachable waits and
 * fails the way model calls do (see database.ts), and `_id` filters take the document's `_id` type.
 */
const typed = <T extends Document>(model: { collection: unknown }) => model.collection as Collection<T>;

/** Typed collections by stored name; each document type is declared beside its schema in models/. */
export function bindCollections(models: Models) {
  return {
    apiKeys: typed<ApiKeyDoc>(models.ApiKey),
    auditLog: typed<AuditEntryDoc>(models.AuditEntry),
    campaignState: typed<CampaignStateDoc>(models.CampaignState),
    customers: typed<CustomerDoc>(models.Customer),
    customerRecos: typed<CustomerRecoDoc>(models.CustomerReco),
    customerSegments: typed<CustomerSegmentsDoc>(models.CustomerSegments),
    customerTimelines: typed<CustomerTimelineDoc>(models.CustomerTimeline),
    enrollments: typed<EnrollmentDoc>(models.Enrollment),
    eventInbox: typed<EventInboxDoc>(models.EventInbox),
    events: typed<StoredEvent & { linkedFrom?: string }>(models.Event),
    experiments: typed<ExperimentDoc>(models.Experiment),
    featureSnapshots: typed<FeatureSnapshotDoc>(models.FeatureSnapshot),
    features: typed<FeatureDoc>(models.Feature),
    flows: typed<FlowDoc>(models.Flow),
    foldLeases: typed<FoldLeaseDoc>(models.FoldLease),
    foldStats: typed<FoldStatsDoc>(models.FoldStats),
    identities: typed<IdentityDoc>(models.Identity),
    jobLeases: typed<JobLeaseDoc>(models.JobLease),
    jobRuns: typed<JobRunDoc>(models.JobRun),
    messageClaims: typed<ClaimDoc>(models.MessageClaim),
    messages: typed<MessageDoc>(models.Message),
    modelVersions: typed<ModelVersionDoc>(models.ModelVersion),
    productStats: typed<ProductStatDoc>(models.ProductStat),
    products: typed<ProductDoc>(models.Product),
    reports: typed<ReportDoc>(models.Report),
    runningJobs: typed<RunningJobDoc>(models.RunningJob),
    scores: typed<ScoreDoc>(models.Score),
    segmentCounts: typed<SegmentCountDoc>(models.SegmentCount),
    segmentMemberPages: typed<MemberPageDoc>(models.SegmentMemberPage),
    segments: typed<SegmentDoc>(models.Segment),
    simTruth: typed<SimTruthDoc>(models.SimTruth),
    suppressions: typed<SuppressionDoc>(models.Suppression),
    timelineChanges: typed<TimelineChangeDoc>(models.TimelineChange),
    webhookDeliveries: typed<WebhookDeliveryDoc>(models.WebhookDelivery),
    merges: typed<MergeDoc>(models.Merge),
    mergeAliases: typed<MergeAliasDoc>(models.MergeAlias),
    customerEmails: typed<CustomerEmailDoc>(models.CustomerEmail),
    trackingDays: typed<TrackingDayDoc>(models.TrackingDay),
    weather: typed<WeatherDoc>(models.Weather),
  };
}

export type Collections = ReturnType<typeof bindCollections>;
