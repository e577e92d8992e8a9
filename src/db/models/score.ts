import { Schema } from 'mongoose';

/** Why a model scored a customer as it did (src/ml/drivers.ts computes them). */
export interface Driver {
  /** A feature (catalogue or `btyd*`). */
  feature: string;
  /** Its push on the model's output; > 0 raises it. */
  contribution: number;
}

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
    /** `low`, `mid` or `top` by predicted LTV within the run (src/ml/scoring/predictionEvents.ts). */
    ltvTier: String,
    /** The last order before the features' as-of date: one expected next order per last order. */
    lastOrderAt: Date,
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

/** One `scores` document, as the driver reads and writes it. */
export interface ScoreDoc {
  _id: string;
  partition: number;
  /** Which models apply (src/ml/scoring/cohort.ts): buyers get churnRisk and expectedNextOrderAt, prospects firstPurchaseProbability. */
  cohort: 'buyer' | 'prospect';
  churnRisk?: number;
  firstPurchaseProbability?: number;
  predictedLtv?: number;
  purchaseProbability?: number;
  expectedNextOrderAt?: Date | null;
  /** Predicted-LTV tier within the run: top 10 %, next 40 % (`mid`), the rest (`low`). */
  ltvTier?: 'low' | 'mid' | 'top';
  /** The last order before the features' as-of date (buyers). */
  lastOrderAt?: Date | null;
  bestSendHour?: number;
  sendHourConfidence?: number;
  drivers: { churn?: Driver[]; firstPurchase?: Driver[]; ltv?: Driver[] };
  modelVersions: Record<string, string>;
  featuresAsOf: Date;
  /** The moment the score describes: the run's `--as-of` when given, else when it was scored. */
  asOf: Date;
  scoredAt: Date;
}
