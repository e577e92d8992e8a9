import { describe, expect, it } from 'vitest';
import { recoverClaims } from '../src/campaigns/dispatch/recoverClaims.js';
import { useTestDatabase } from './helpers/db.js';

// The kill itself (SIGKILL mid-send, a new run, every message once at the SMTP server) is the
// dispatch row of the worker-kill scenarios in reliability.kill.test.ts.

const database = useTestDatabase();

describe('dispatch killed mid-send', () => {
  it('without a ledger settles an unconfirmed claim as failed and never sends it again', async () => {
    const { Message, MessageClaim, Event } = database().models;
    const old = new Date(Date.now() - 3_600_000);
    const message = (id: string) => ({
      _id: id,
      enrollmentId: `e-${id}`,
      stepId: 's',
      flowId: 'f',
      customerId: 'kx',
      partition: 0,
      kind: 'marketing',
      status: 'claimed',
      scheduledFor: old,
      claimedAt: old,
    });
    const claim = (id: string) => ({
      _id: id,
      enrollmentId: `e-${id}`,
      stepId: 's',
      claimedAt: old,
      message: message(id),
    });
    await MessageClaim.collection.insertMany([claim('m-recorded'), claim('m-unknown')] as never[]);
    // Killed after storing the message, before its send event and before deleting the claim.
    await Message.collection.insertOne({ ...message('m-recorded'), status: 'sent', sentAt: old } as never);
    const counts = await recoverClaims(database(), { leaseMs: 60_000, worker: 'test' });
    expect(counts).toMatchObject({ staleClaims: 2, confirmedSent: 1, unknown: 1, released: 0 });
    expect(await Event.collection.countDocuments({ eventId: 'email_sent:m-recorded' })).toBe(1);
    expect(await Message.collection.findOne({ _id: 'm-unknown' as never })).toMatchObject({ status: 'failed' });
    expect(await MessageClaim.collection.countDocuments({})).toBe(0);
    // Settled once: a second recovery finds nothing.
    expect(await recoverClaims(database(), { leaseMs: 60_000, worker: 'test' })).toMatchObject({ staleClaims: 0 });
  });
});
