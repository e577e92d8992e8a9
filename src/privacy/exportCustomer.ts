import type { Document } from 'mongodb';
import type { Database } from '../db/database.js';
import { recordAudit, type Actor } from './audit.js';
import { memberPagesOf } from './memberships.js';
import { eventsFilter, findSubject, suppressionsFilter, type Subject } from './subject.js';

export const EXPORT_FORMAT = 'breadcrumb-privacy-export/1';

/** Bytes gathered before a chunk goes out: few writes, and memory holds one chunk, not the export. */
const CHUNK = 65_536;

export type ExportResult =
  { ok: true; value: AsyncIterable<string> } | { ok: false; error: { type: 'not_found'; message: string } };

/**
 * Everything held about a person (the right of access) as one JSON document, produced as a
 * stream of text chunks: identifiers, the customer record with consent, suppressions, identities,
 * features and snapshots, scores, segment state and member-page rows, enrolments, messages (with
 * address, subject and links), in-flight send claims, recommendation inputs, simulator truth,
 * then the events, read from a cursor so a person with a long history costs one chunk of memory,
 * and last the number of documents per section. The export is audited (who and when) once the
 * stream ends or the reader goes away.
 */
export async function exportCustomer(
  database: Database,
  customerId: string,
  actor: Actor,
  at = new Date(),
): Promise<ExportResult> {
  const subject = await findSubject(database, customerId);
  if (!subject.found)
    return { ok: false, error: { type: 'not_found', message: `nothing is held about customer ${customerId}` } };
  return { ok: true, value: exportChunks(database, subject, actor, at) };
}

async function* exportChunks(database: Database, subject: Subject, actor: Actor, at: Date): AsyncGenerator<string> {
  const c = database.collections;
  const { customerId } = subject;
  const byId = { _id: customerId };
  const counts: Record<string, number> = {};
  const one = async (name: string, doc: Promise<Document | null>) => {
    const value = await doc;
    counts[name] = value ? 1 : 0;
    return value;
  };
  const many = async (name: string, docs: Promise<Document[]>) => {
    const value = await docs;
    counts[name] = value.length;
    return value;
  };
  try {
    const pages = await memberPagesOf(database, customerId);
    const memberRows = pages.flatMap((p) =>
      p.rows
        .filter((r) => r.customerId === customerId)
        .map((row) => ({ segmentId: p.segmentId, version: p.version, page: p.index, row })),
    );
    counts.memberRows = memberRows.length;
    counts.customers = subject.customer ? 1 : 0;
    const head = {
      format: EXPORT_FORMAT,
      customerId,
      exportedAt: at,
      identifiers: { anonymousIds: subject.anonymousIds, emails: subject.emails },
      customer: subject.customer,
      suppressions: await many('suppressions', c.suppressions.find(suppressionsFilter(subject)).toArray()),
      identities: await many('identities', c.identities.find({ customerId }).toArray()),
      features: await one('features', c.features.findOne(byId)),
      featureSnapshots: await many('featureSnapshots', c.featureSnapshots.find({ customerId }).toArray()),
      scores: await one('scores', c.scores.findOne(byId)),
      segments: { state: await one('customerSegments', c.customerSegments.findOne(byId)), memberRows },
      enrollments: await many('enrollments', c.enrollments.find({ customerId }).toArray()),
      messages: await many('messages', c.messages.find({ customerId }).toArray()),
      messageClaims: await many('messageClaims', c.messageClaims.find({ 'message.customerId': customerId }).toArray()),
      recommendations: await one('recommendations', c.customerRecos.findOne(byId)),
      simTruth: await one('simTruth', c.simTruth.findOne(byId)),
    };
    const text = JSON.stringify(head);
    let buffer = `${text.slice(0, -1)},"events":[`;
    counts.events = 0;
    for await (const event of c.events.find(eventsFilter(subject), { sort: { ts: 1 }, batchSize: 1000 })) {
      buffer += `${counts.events++ ? ',' : ''}${JSON.stringify(event)}`;
      if (buffer.length >= CHUNK) {
        yield buffer;
        buffer = '';
      }
    }
    yield `${buffer}],"counts":${JSON.stringify(counts)}}\n`;
    counts.complete = 1;
  } finally {
    await recordAudit(database, 'privacy.export', actor, new Date(), counts);
  }
}
