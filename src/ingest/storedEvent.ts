/**
 * The stored event, declared with its collection (src/db/models/event.ts); named here too so the
 * ingest modules keep one import for it.
 */
export type { EventSource, StoredEvent } from '../db/models/event.js';
