import { Schema } from 'mongoose';

/** Hidden traits and true outcomes of synthetic customers; models never read it, tests score against it. */
export const simTruthSchema = new Schema(
  {
    _id: { type: String, required: true },
    historyEnd: { type: Date },
    traits: { type: Schema.Types.Mixed, required: true },
    outcomes: { type: Schema.Types.Mixed, default: {} },
  },
  { collection: 'sim_truth', versionKey: false, minimize: false },
);

/** One `sim_truth` document (`_id` = customer id), written by the demo generator. */
export interface SimTruthDoc {
  _id: string;
  historyEnd?: Date;
  traits: Record<string, unknown>;
  outcomes: Record<string, unknown>;
}
