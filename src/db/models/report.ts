import { Schema } from 'mongoose';

export const reportSchema = new Schema(
  {
    kind: { type: String, required: true },
    from: Date,
    to: Date,
    params: { type: Schema.Types.Mixed, default: {} },
    result: { type: Schema.Types.Mixed, default: {} },
  },
  { timestamps: true, collection: 'reports', minimize: false },
);
reportSchema.index({ kind: 1, createdAt: -1 });

/** One `reports` document: a period's attribution or KPI report (src/attribution/report.ts). */
export interface ReportDoc {
  kind: 'attribution' | 'kpis';
  from: Date;
  to: Date;
  params: Record<string, unknown>;
  result: unknown;
  createdAt: Date;
  updatedAt: Date;
}
