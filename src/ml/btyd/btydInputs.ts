import { z } from 'zod';
import { nextPurchase, expectedPurchases, fitBgNbd } from './bgnbd.js';
import { expectedAverageSpend, fitGammaGamma } from './gammaGamma.js';

/**
 * BG/NBD and Gamma-Gamma outputs as model inputs: P(alive), expected purchases in the horizon,
 * expected spend per purchase and the expected wait until the next order. The parameters are
 * fitted on customers' RFM summaries as of T (the `bgnbd*` features, which only see events before
 * T), stored in the model's meta.json, and applied unchanged to current features at scoring time.
 */

export const btydParamsSchema = z.object({
  bgnbd: z.object({ r: z.number(), alpha: z.number(), a: z.number(), b: z.number() }),
  /** Null when no customer had a repeat purchase with a positive value: expected spend is then the mean order value. */
  gammaGamma: z.object({ p: z.number(), q: z.number(), v: z.number() }).nullable(),
  /** Mean net order value of the fitted customers: the spend of anyone Gamma-Gamma cannot describe. */
  meanOrderValue: z.number(),
  /** Expected purchases are counted over (T, T + horizonDays]; times are in days. */
  horizonDays: z.number().positive(),
});
export type BtydParams = z.infer<typeof btydParamsSchema>;

/** The feature names the BTYD outputs are written under (catalogue features never start with `btyd`). */
export const BTYD_FEATURES = [
  'btydPAlive',
  'btydExpectedPurchases',
  'btydExpectedSpend',
  'btydDaysToNextOrder',
] as const;
export type BtydValues = Record<(typeof BTYD_FEATURES)[number], number>;

/** A customer's RFM summary in days, as the `bgnbdX`, `bgnbdTx`, `bgnbdT`, `bgnbdMonetary` and `monetaryMean` features hold it. */
export type BtydSummary = { x: number; t_x: number; T: number; monetary: number; orderValue: number };

/** Reads the summary from a feature record (features, snapshots or buildFeatures' output). */
export function btydSummary(values: Record<string, unknown>): BtydSummary {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : NaN);
  return {
    x: num(values.bgnbdX),
    t_x: num(values.bgnbdTx),
    T: num(values.bgnbdT),
    monetary: num(values.bgnbdMonetary),
    orderValue: num(values.monetaryMean),
  };
}

function hasOrders(s: BtydSummary): boolean {
  return Number.isInteger(s.x) && s.x >= 0 && s.t_x >= 0 && s.T >= s.t_x && s.x > 0 === s.t_x > 0;
}

export type FitBtydResult = { ok: true; value: BtydParams } | { ok: false; error: { type: string; message: string } };

/** Fits both models on the customers that have ordered; fails (as data) when BG/NBD cannot be fitted. */
export async function fitBtydParams(summaries: readonly BtydSummary[], horizonDays: number): Promise<FitBtydResult> {
  const buyers = summaries.filter(hasOrders);
  const bgnbd = await fitBgNbd(buyers);
  if (!bgnbd.ok) return { ok: false, error: { type: bgnbd.error.type, message: `BG/NBD: ${bgnbd.error.message}` } };
  const spenders = buyers.filter((s) => s.x > 0 && s.monetary > 0);
  const gg =
    spenders.length > 0
      ? await fitGammaGamma(
          spenders.map((s) => s.x),
          spenders.map((s) => s.monetary),
        )
      : undefined;
  const values = buyers.map((s) => s.orderValue).filter((v) => Number.isFinite(v));
  const meanOrderValue = values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : 0;
  // q ≤ 1 makes Gamma-Gamma's population mean infinite: unusable as an input.
  const gammaGamma = gg?.ok && gg.value.params.q > 1 ? gg.value.params : null;
  return { ok: true, value: { bgnbd: bgnbd.value.params, gammaGamma, meanOrderValue, horizonDays } };
}

/** The four outputs for one customer; NaN for a customer without orders (encoded as missing). */
export function btydValues(params: BtydParams, s: BtydSummary): BtydValues {
  if (!hasOrders(s))
    return { btydPAlive: NaN, btydExpectedPurchases: NaN, btydExpectedSpend: NaN, btydDaysToNextOrder: NaN };
  const next = nextPurchase(params.bgnbd, s.x, s.t_x, s.T);
  const spend = params.gammaGamma
    ? expectedAverageSpend(params.gammaGamma, s.x, s.x > 0 && s.monetary > 0 ? s.monetary : 0)
    : params.meanOrderValue;
  return {
    btydPAlive: next.pAlive,
    btydExpectedPurchases: expectedPurchases(params.bgnbd, params.horizonDays, s.x, s.t_x, s.T),
    btydExpectedSpend: spend,
    btydDaysToNextOrder: next.waitIfAlive,
  };
}
