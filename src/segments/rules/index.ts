/** The segment rule language: parse, compile, resolve event facts, evaluate. See ./types.ts. */
export { compileRule, matchesFilter, valueAt } from './compile.js';
export { resolveEventFacts, type EventFacts } from './eventFacts.js';
export { fieldType, type FieldType } from './fields.js';
export { buildProfile, hemisphereOf, scopeFilter, type ProfileParts, type ProfileScope } from './profile.js';
export { cutoffOf, populationCutoffs, quantileCutoffs } from './quantiles.js';
export { parseRule, ruleSchema, type Rule } from './schema.js';
export type * from './types.js';
