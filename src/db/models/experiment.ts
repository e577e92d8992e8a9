import { Schema } from 'mongoose';

export const experimentSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    flowId: String,
    stepId: String,
    variants: { type: [{ name: String, weight: Number, _id: false }], default: [] },
    holdoutShare: { type: Number, default: 0 },
    status: { type: String, enum: ['draft', 'running', 'stopped'], default: 'draft' },
    startedAt: Date,
    endedAt: Date,
    results: { type: Schema.Types.Mixed, default: {} },
  },
  { timestamps: true, collection: 'experiments', minimize: false },
);

/** One `experiments` document: a step's variants (`_id` = `<flow>:<step>`) or a flow's holdout (`<flow>:holdout`). */
export interface ExperimentDoc {
  _id: string;
  name: string;
  flowId?: string;
  stepId?: string;
  /** Absent on a holdout document. */
  variants?: { name: string; weight: number }[];
  holdoutShare: number;
  status: 'draft' | 'running' | 'stopped';
  startedAt?: Date;
  endedAt?: Date;
  /** The latest evaluation (evaluateExperiments.ts); a `winner` once chosen stays chosen. */
  results: { winner?: string; evaluatedAt?: Date } & Record<string, unknown>;
  updatedAt?: Date;
}
