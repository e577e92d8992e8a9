import { describe, expect, it } from 'vitest';
import { computeKpis, type EmailEvent, type KpiInput } from '../src/attribution/kpis.js';

const from = new Date('2026-05-01T00:00:00Z');
const to = new Date('2026-06-01T00:00:00Z');
const ev = (type: string, customerId: string, iso: string, props: Record<string, unknown>): EmailEvent => ({
  type,
  customerId,
  ts: new Date(iso),
  props,
});
const input = (emailEvents: EmailEvent[], orders: KpiInput['orders'] = []): KpiInput => ({
  from,
  to,
  messages: [],
  emailEvents,
  orders,
  enrollments: [],
  segmentsOf: new Map(),
});

describe('email KPIs (pure)', () => {
  it('go by send date: a message sent before the period is not this period’s, even if opened in it', () => {
    const rows = computeKpis(
      input([
        ev('email_sent', 'a', '2026-04-30T20:00:00Z', { messageId: 'old', campaignId: 'c' }),
        ev('email_opened', 'a', '2026-05-01T08:00:00Z', { messageId: 'old', campaignId: 'c' }),
        ev('email_sent', 'b', '2026-05-02T08:00:00Z', { messageId: 'new', campaignId: 'c' }),
        ev('email_bounced', 'b', '2026-05-02T08:01:00Z', { messageId: 'new', campaignId: 'c' }),
        // Only a delivery receipt (an ESP that reports no sends): dated by the delivery.
        ev('email_delivered', 'd', '2026-05-03T08:00:00Z', { messageId: 'esp', campaignId: 'c' }),
        ev('email_opened', 'd', '2026-05-03T09:00:00Z', { messageId: 'esp', campaignId: 'c', machineOpen: true }),
        ev('email_opened', 'd', '2026-05-03T10:00:00Z', { messageId: 'esp', campaignId: 'c', readingTimeSec: 12 }),
        ev('email_opened', 'd', '2026-05-04T10:00:00Z', { messageId: 'esp', campaignId: 'c', readingTimeSec: 20 }),
      ]),
      'campaign',
      { costPerSend: 0 },
    );
    // Two messages: `new` (bounced) and `esp` (delivered, opened by a person twice: one open).
    expect(rows).toEqual([
      expect.objectContaining({
        key: 'c',
        sends: 2,
        delivered: 1,
        opens: 1,
        openRate: 1,
        readingTimeSec: 16,
        roi: null,
      }),
    ]);
  });

  it('credits an order to the last email clicked or opened within the window', () => {
    const rows = computeKpis(
      input(
        [
          ev('email_sent', 'a', '2026-05-01T08:00:00Z', { messageId: 'm1', flowId: 'f1' }),
          ev('email_clicked', 'a', '2026-05-01T09:00:00Z', { messageId: 'm1', flowId: 'f1' }),
          ev('email_sent', 'a', '2026-05-03T08:00:00Z', { messageId: 'm2', flowId: 'f2' }),
          ev('email_opened', 'a', '2026-05-03T09:00:00Z', { messageId: 'm2', flowId: 'f2' }),
        ],
        [
          { customerId: 'a', ts: new Date('2026-05-04T00:00:00Z'), revenue: 30 },
          // Nine days after the last open: nobody's.
          { customerId: 'a', ts: new Date('2026-05-12T00:00:00Z'), revenue: 70 },
        ],
      ),
      'flow',
    );
    expect(Object.fromEntries(rows.map((r) => [r.key, r.revenue]))).toEqual({ f1: 0, f2: 30 });
  });
});
