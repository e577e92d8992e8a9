import type { Connection, InferSchemaType, Model, Schema } from 'mongoose';
import { apiKeySchema } from './apiKey.js';
import { auditEntrySchema } from './auditEntry.js';
import { customerSchema } from './customer.js';
import { eventSchema } from './event.js';
import { experimentSchema } from './experiment.js';
import { featureSchema, featureSnapshotSchema } from './feature.js';
import { campaignStateSchema, enrollmentSchema, flowSchema } from './flow.js';
import { identitySchema } from './identity.js';
import { jobLeaseSchema, jobRunSchema } from './jobRun.js';
import { customerEmailSchema, mergeAliasSchema, mergeSchema } from './merge.js';
import { messageClaimSchema, messageSchema } from './message.js';
import { modelVersionSchema } from './modelVersion.js';
import { productSchema } from './product.js';
import { customerRecoSchema, productStatSchema } from './recommendation.js';
import { reportSchema } from './report.js';
import { runningJobSchema } from './runningJob.js';
import { scoreSchema } from './score.js';
import { customerSegmentsSchema, segmentCountSchema, segmentMemberPageSchema, segmentSchema } from './segment.js';
import { simTruthSchema } from './simTruth.js';
import { suppressionSchema } from './suppression.js';
import { customerTimelineSchema, eventInboxSchema, foldLeaseSchema, foldStatsSchema, timelineChangeSchema } from './timeline.js';
import { trackingDaySchema } from './trackingDay.js';
import { weatherSchema } from './weather.js';
import { webhookDeliverySchema } from './webhookDelivery.js';

const schemas = {
  Customer: customerSchema,
  Identity: identitySchema,
  Event: eventSchema,
  CustomerTimeline: customerTimelineSchema,
  EventInbox: eventInboxSchema,
  FoldLease: foldLeaseSchema,
  FoldStats: foldStatsSchema,
  TimelineChange: timelineChangeSchema,
  Product: productSchema,
  ProductStat: productStatSchema,
  CustomerReco: customerRecoSchema,
  Feature: featureSchema,
  FeatureSnapshot: featureSnapshotSchema,
  Score: scoreSchema,
  ModelVersion: modelVersionSchema,
  Segment: segmentSchema,
  CustomerSegments: customerSegmentsSchema,
  SegmentCount: segmentCountSchema,
  SegmentMemberPage: segmentMemberPageSchema,
  Flow: flowSchema,
  Enrollment: enrollmentSchema,
  CampaignState: campaignStateSchema,
  Message: messageSchema,
  MessageClaim: messageClaimSchema,
  Experiment: experimentSchema,
  Report: reportSchema,
  ApiKey: apiKeySchema,
  Suppression: suppressionSchema,
  JobRun: jobRunSchema,
  JobLease: jobLeaseSchema,
  RunningJob: runningJobSchema,
  SimTruth: simTruthSchema,
  WebhookDelivery: webhookDeliverySchema,
  AuditEntry: auditEntrySchema,
  Merge: mergeSchema,
  MergeAlias: mergeAliasSchema,
  CustomerEmail: customerEmailSchema,
  TrackingDay: trackingDaySchema,
  Weather: weatherSchema,
} satisfies Record<string, Schema>;

export type Models = { [K in keyof typeof schemas]: Model<InferSchemaType<(typeof schemas)[K]>> };

/** Models bound to one connection, so each test file can use its own database. */
export function bindModels(conn: Connection): Models {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    out[name] = conn.models[name] ?? conn.model(name, schema as Schema);
  }
  return out as unknown as Models;
}

/**
 * Creates every collection and index; idempotent, run at every connect. FerretDB v1's SQLite
 * backend never uses a secondary index for queries (only `_id` equality is pushed down), while
 * each index halves insert speed (measured: 20.8k inserts/s with none, 11.1k with the five on
 * events), so there only unique indexes are built: they enforce idempotency and exactly-once.
 */
export async function ensureIndexes(models: Models, opts: { uniqueOnly?: boolean } = {}): Promise<void> {
  for (const model of Object.values(models) as unknown as Model<unknown>[]) {
    await model.createCollection().catch((err: { code?: number }) => {
      if (err.code !== 48) throw err; // 48: NamespaceExists
    });
    for (const [fields, options] of model.schema.indexes()) {
      if (opts.uniqueOnly && !options.unique) continue;
      await model.collection.createIndex(fields as Record<string, 1 | -1>, options as Record<string, unknown>);
    }
  }
}
