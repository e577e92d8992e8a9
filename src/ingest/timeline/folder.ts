import type { Database } from '../../db/database.js';
import { log } from '../../log.js';
import { emptyFoldCounts, foldInbox, type FoldCounts } from './foldInbox.js';

interface FolderState {
  running: Promise<FoldCounts> | null;
  again: boolean;
}

const folders = new WeakMap<Database, FolderState>();

function stateOf(database: Database): FolderState {
  let s = folders.get(database);
  if (!s) folders.set(database, (s = { running: null, again: false }));
  return s;
}

/**
 * Folds what is staged, once per process at a time: a call while a fold runs makes that fold go
 * round once more instead of starting a second (batches arriving together are folded together).
 * Resolves when everything staged before the call has been folded by this process or found
 * leased by another one.
 */
export function foldNow(database: Database): Promise<FoldCounts> {
  const state = stateOf(database);
  if (state.running) {
    state.again = true;
    return state.running;
  }
  const run = (async () => {
    const total = emptyFoldCounts();
    try {
      do {
        state.again = false;
        const c = await foldInbox(database);
        for (const k of Object.keys(total) as (keyof FoldCounts)[]) total[k] += c[k];
      } while (state.again);
      return total;
    } finally {
      state.running = null;
    }
  })();
  state.running = run;
  return run;
}

/** Whether this process is folding now (a batch staged meanwhile is taken by that fold's next round). */
export function isFolding(database: Database): boolean {
  return stateOf(database).running !== null;
}

/** Starts a fold without waiting for it (the ingest endpoints answer once events are durable). */
export function foldSoon(database: Database): void {
  foldNow(database).catch((err: unknown) => log.warn({ err }, 'fold failed; the next batch or the worker retries it'));
}
