import type { Database } from '../../db/database.js';
import { orderRevenue } from '../../features/read.js';
import { config } from '../../config.js';
import { readTimelines } from '../../ingest/timeline/readTimelines.js';
import { dayOf, isDeclining, loadDailyCounts, type DailyCount } from './counts.js';
import { readMembers, type MemberPagesIndex } from './memberPages.js';

export interface SegmentPerformance {
  key: string;
  days: number;
  sizes: DailyCount[];
  declining: boolean;
  /** Email to the segment's current members over the window; null before any message was sent. */
  email: {
    recipients: number;
    messages: number;
    opens: number;
    clicks: number;
    unsubscribes: number;
    revenue: number;
    revenuePerRecipient: number;
    openRate: number;
    clickRate: number;
  } | null;
}

/** An order counts for the email when it follows a message to the customer within this window. */
export const ATTRIBUTION_DAYS = 7;

/**
 * Size over time and, once flows have sent email, how the segment's current members responded:
 * opens and clicks (events carrying the message's id), unsubscribes, and revenue of orders placed
 * within 7 days after a message, per recipient. One pass over the window's messages (a scan on
 * FerretDB), then the recipients' timelines, read by `_id`.
 */
export async function segmentPerformance(
  database: Database,
  segment: { key: string; memberPages: MemberPagesIndex | undefined },
  days: number,
  now = new Date(),
): Promise<SegmentPerformance> {
  const since = new Date(now.getTime() - days * 86_400_000);
  const sizes = (await loadDailyCounts(database, [segment.key], dayOf(since))).get(segment.key) ?? [];
  const members = new Set<string>();
  await readMembers(
    database,
    { id: segment.key, index: segment.memberPages, partitions: config().PARTITIONS },
    null,
    Infinity,
    (r) => void members.add(r.customerId),
  );

  const sentTo = new Map<string, number[]>();
  const messageIds = new Set<string>();
  let messages = 0;
  for await (const m of database.collections.messages.find(
    { status: 'sent', sentAt: { $gte: since } },
    { projection: { customerId: 1, sentAt: 1 } },
  )) {
    const customerId = String(m.customerId);
    if (!members.has(customerId)) continue;
    messages++;
    messageIds.add(String(m._id));
    let times = sentTo.get(customerId);
    if (!times) sentTo.set(customerId, (times = []));
    times.push((m.sentAt as Date).getTime());
  }
  if (messages === 0) return { key: segment.key, days, sizes, declining: isDeclining(sizes), email: null };

  let opens = 0;
  let clicks = 0;
  let unsubscribes = 0;
  let revenue = 0;
  const types = ['email_opened', 'email_clicked', 'email_unsubscribed', 'order_completed'];
  for await (const { customerId, events } of readTimelines(
    database,
    { customerIds: [...sentTo.keys()] },
    { types, from: since },
  )) {
    const times = sentTo.get(customerId)!;
    for (const e of events) {
      if (e.type === 'order_completed') {
        const t = e.ts.getTime();
        if (times.some((s) => t >= s && t - s <= ATTRIBUTION_DAYS * 86_400_000)) revenue += orderRevenue(e.props);
        continue;
      }
      if (typeof e.props.messageId !== 'string' || !messageIds.has(e.props.messageId)) continue;
      if (e.type === 'email_opened') opens++;
      else if (e.type === 'email_clicked') clicks++;
      else unsubscribes++;
    }
  }
  const recipients = sentTo.size;
  return {
    key: segment.key,
    days,
    sizes,
    declining: isDeclining(sizes),
    email: {
      recipients,
      messages,
      opens,
      clicks,
      unsubscribes,
      revenue,
      revenuePerRecipient: revenue / recipients,
      openRate: opens / messages,
      clickRate: clicks / messages,
    },
  };
}
