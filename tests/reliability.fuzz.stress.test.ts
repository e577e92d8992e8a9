import { fuzzSuite } from './reliability/fuzz.js';

/** The CI targets with 7.5× the runs, about 10,000 requests (FUZZ_RUNS_PER_WEIGHT changes it); FUZZ_SEED replays a failing run. */
fuzzSuite('stress', Number(process.env.FUZZ_RUNS_PER_WEIGHT ?? 300), {
  ...(process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) }),
  timeoutMs: 1_800_000,
});
