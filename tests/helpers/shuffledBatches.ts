/** Events shuffled by a seeded generator (late and out-of-order arrivals), cut into batches of `size`. */
export function shuffledBatches<T>(events: readonly T[], size: number, seed: number): T[][] {
  const out = [...events];
  let s = seed;
  const random = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let k = out.length - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1));
    [out[k], out[j]] = [out[j]!, out[k]!];
  }
  const batches: T[][] = [];
  for (let k = 0; k < out.length; k += size) batches.push(out.slice(k, k + size));
  return batches;
}
