import { Schema } from 'mongoose';

/** Latest scores of a customer (`_id` = customer id); old scores stay until a new run replaces them. */
export const scoreSchema = new Schema(
  {
    _id: { type: String, required: true },
    partition: { type: Number, required: true },
    /** `buyer` or `prospect`: which of churnRisk / firstPurchaseProbability applies (src/ml/scoring/cohort.ts). */
    cohort: String,
    churnRisk: Number,
    firstPurchaseProbability: Number,
    predictedLtv: Number,
    purchaseProbability: Number,
    expectedNextOrderAt: Date,
    bestSendHour: Number,
    sendHourConfidence: Number,
    drivers: { type: Schema.Types.Mixed, default: {} },
    modelVersions: { type: Schema.Types.Mixed, default: {} },
    /** The features' as-of date: the expected next order is counted from it. */
    featuresAsOf: Date,
    /** The moment the score describes: score-customers' `--as-of`, else when it was scored. */
    asOf: Date,
    scoredAt: { type: Date, default: () => new Date() },
  },
  { collection: 'scores', versionKey: false },
);
scoreSchema.index({ partition: 1 });
scoreSchema.index({ churnRisk: -1 });
scoreSchema.index({ predictedLtv: -1 });
