import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/ml/backend.js';
import { fitBgNbd } from '../src/ml/btyd/bgnbd.js';
import { customerLifetimeValue, fitGammaGamma } from '../src/ml/btyd/gammaGamma.js';
import { periodsBetween, type RfmRow } from '../src/ml/btyd/summary.js';
import { CDNOW_SPLIT, loadCdnow } from '../src/ml/datasets/cdnow.js';
import { evaluateLtv, type LtvMetrics, scoreLtv, trainLtv } from '../src/ml/ltv/index.js';

const FOLDS = 5;

/** Heavy-tailed counts and amounts enter in log form: raw dollars let a ReLU net extrapolate wildly. */
const features = (r: RfmRow): number[] => [Math.log1p(r.x), r.t_x, r.T, Math.log1p(r.monetary), r.x > 0 ? 1 : 0];

describe('ZILN vs BG/NBD + Gamma-Gamma on the CDNOW sample (holdout value, weeks 40–78)', () => {
  let rows: RfmRow[];
  let actual: number[];
  beforeAll(async () => {
    // The classic split: weeks 1–39 calibrate, weeks 40–78 are the holdout whose value we predict.
    rows = (await loadCdnow()).rfm;
    actual = rows.map((r) => r.holdoutValue!);
    await initBackend();
  });

  it('ranks holdout value at least as well as BG/NBD + Gamma-Gamma', async () => {
    const horizon = periodsBetween(CDNOW_SPLIT.calibrationEnd, CDNOW_SPLIT.observationEnd, 'weeks');
    const bgnbd = await fitBgNbd(rows);
    const gammaGamma = await fitGammaGamma(
      rows.map((r) => r.x),
      rows.map((r) => r.monetary),
    );
    if (!bgnbd.ok || !gammaGamma.ok) throw new Error('BTYD fit failed');
    const clv = rows.map((r) =>
      customerLifetimeValue({ bgnbd: bgnbd.value.params, gammaGamma: gammaGamma.value.params }, r, { horizon }),
    );
    const btyd = evaluateLtv(clv, actual);

    // The network learns from holdout values, so every customer is scored by a model that never
    // saw them: 5-fold cross-validation, a fifth of each training fold kept for early stopping.
    const started = performance.now();
    const predicted = new Float64Array(rows.length);
    for (let fold = 0; fold < FOLDS; fold++) {
      const test = rows.flatMap((_, i) => (i % FOLDS === fold ? [i] : []));
      const rest = rows.flatMap((_, i) => (i % FOLDS !== fold ? [i] : []));
      const validation = rest.filter((_, j) => j % 5 === 0);
      const train = rest.filter((_, j) => j % 5 !== 0);
      const X = (index: number[]) => index.map((i) => features(rows[i]!));
      const y = (index: number[]) => index.map((i) => actual[i]!);
      const { model, meta } = await trainLtv({ X: X(train), y: y(train), Xval: X(validation), yval: y(validation) });
      const { expectedValue } = scoreLtv(model, meta, X(test));
      test.forEach((i, j) => (predicted[i] = expectedValue[j]!));
      model.dispose();
    }
    const seconds = (performance.now() - started) / 1000;
    const ziln = evaluateLtv(predicted, actual);
    const table: Record<string, LtvMetrics> = { 'ZILN (5-fold)': ziln, 'BG/NBD + Gamma-Gamma': btyd };
    console.info(`CDNOW holdout value, ${rows.length} customers, ZILN trained ${FOLDS}× in ${seconds.toFixed(1)} s`);
    console.table(table);

    // The goal. Across seeds and batch sizes (128–512) ZILN's Gini was 0.667–0.677, against 0.638.
    expect(ziln.gini).toBeGreaterThanOrEqual(btyd.gini);
    expect(ziln.spearman).toBeGreaterThan(0.35);
    expect(Math.abs(ziln.totalRatio - 1)).toBeLessThan(0.25);
    expect(btyd.gini).toBeGreaterThan(0.55);
  });
});
