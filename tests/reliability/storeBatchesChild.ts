/**
 * A separate ingesting process for the lost-update scenario: reads batches of events (JSON) from
 * the file named by argv[2] and stores them into MONGODB_URI's database, `inFlight` at a time,
 * the way several API processes would. Prints one JSON line with what it stored.
 */
import fs from 'node:fs';
import { connectDatabase } from '../../src/db/database.js';
import { storeEvents } from '../../src/ingest/storeEvents.js';
import { foldNow } from '../../src/ingest/timeline/folder.js';
import type { IncomingEvent } from '../../src/ingest/eventSchemas.js';

const batches = (JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as IncomingEvent[][]).map((b) =>
  b.map((e) => ({ ...e, timestamp: new Date(e.timestamp as unknown as string) })),
);
const inFlight = Number(process.argv[3] ?? 4);
const database = await connectDatabase({ uri: process.env.MONGODB_URI!, skipIndexes: true });
let next = 0;
let stored = 0;
await Promise.all(
  Array.from({ length: inFlight }, async (_, lane) => {
    for (let k = next++; k < batches.length; k = next++) {
      // Half the lanes answer once durable (as the HTTP endpoints do), half once folded.
      stored += (
        await storeEvents(database, batches[k]!, 'api', new Date(), { fold: lane % 2 ? 'background' : 'wait' })
      ).stored;
    }
  }),
);
await foldNow(database);
process.stdout.write(`${JSON.stringify({ stored })}\n`);
await database.close();
