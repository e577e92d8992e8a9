import type { PathSet } from './paths.js';

/** What one channel earned under one model: a share of the conversions and of the revenue. */
export interface ChannelCredit {
  channel: string;
  conversions: number;
  value: number;
}

export interface Attribution {
  model: string;
  channels: ChannelCredit[];
  totalConversions: number;
  totalValue: number;
  /** Model-specific figures (Markov's removal effects, Shapley's sample count). */
  details?: Record<string, unknown>;
}

/** Per-channel accumulators; the models add into them and `toAttribution` names the result. */
export class CreditTable {
  readonly conversions: Float64Array;
  readonly value: Float64Array;

  constructor(readonly paths: PathSet) {
    this.conversions = new Float64Array(paths.channels.length);
    this.value = new Float64Array(paths.channels.length);
  }

  toAttribution(model: string, details?: Record<string, unknown>): Attribution {
    const { channels, conversions, value } = this.paths;
    return {
      model,
      channels: channels.map((channel, i) => ({ channel, conversions: this.conversions[i]!, value: this.value[i]! })),
      totalConversions: sum(conversions),
      totalValue: sum(value),
      ...(details && { details }),
    };
  }
}

export function sum(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s;
}

/** Spreads `total` over channels in proportion to non-negative weights (nothing when they sum to 0). */
export function shareOut(weights: ArrayLike<number>, total: number, into: Float64Array): void {
  const w = sum(weights);
  if (w <= 0) return;
  for (let i = 0; i < into.length; i++) into[i] = (weights[i]! / w) * total;
}
