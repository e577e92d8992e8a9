/**
 * Gauss hypergeometric ₂F₁(a, b; c; z) for 0 ≤ z < 1 by its power series, summed until the
 * terms are shrinking and no longer change the float64 sum. Terms shrink like z^k, so even
 * z = 0.99 needs only a few thousand; callers keep a and b small (see the Euler transform in
 * bgnbd.ts) so the terms cannot grow huge before they shrink. NaN if maxTerms is not enough.
 */
export function hyp2f1(a: number, b: number, c: number, z: number, maxTerms = 100_000): number {
  if (!(z >= 0 && z < 1)) throw new Error(`hyp2f1: z must be in [0, 1), got ${z}`);
  let term = 1;
  let sum = 1;
  for (let k = 0; k < maxTerms; k++) {
    const ratio = (((a + k) * (b + k)) / ((c + k) * (k + 1))) * z;
    term *= ratio;
    if (term === 0) return sum; // a or b is a non-positive integer: the series is a polynomial
    const next = sum + term;
    // Stop only once terms are shrinking too, so a small early term cannot end the sum too soon.
    if (next === sum && Math.abs(ratio) < 1) return sum;
    sum = next;
  }
  return NaN;
}
