import type { Standardizer } from '../standardize.js';

/** What a trained purchases network needs beside its weights: architecture, standardisation, training summary. */
export type PurchasesMeta = Standardizer & {
  kind: 'purchases';
  inputDim: number;
  hidden: number[];
  epochs: number;
  bestEpoch: number;
  valLoss: number;
};
