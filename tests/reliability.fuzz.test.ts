import { fuzzSuite } from './reliability/fuzz.js';

/** 40 runs per unit of a target's weight: about 1,400 requests, 20–30 s on an idle machine. */
fuzzSuite('CI', 40);
