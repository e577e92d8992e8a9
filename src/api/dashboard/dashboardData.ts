import type { Document } from 'mongodb';
import type { Database } from '../../db/database.js';

const DAY = 86_400_000;
/** Send-hour confidence bands of the heatmap's rows. */
const BANDS = [
  { name: 'confidence < 0.3', below: 0.3 },
  { name: '0.3–0.6', below: 0.6 },
  { name: '≥ 0.6', below: Infinity },
];

export interface DashboardData {
  segmentSizes: { segmentId: string; name: string; points: { day: string; size: number }[] }[];
  lifecycle: { stages: { stage: string; customers: number }[]; moves: { from: string; to: string; count: number }[] };
  sendHours: { bands: string[]; counts: number[][] };
  experiments: { id: string; name: string; status: string; results: unknown }[];
}

/**
 * The charts' data that no report holds, read from the collections the segments, scoring and
 * campaigns stages own. Each is one scan of a collection with a document per segment-day,
 * customer or experiment, which stays cheap next to the events.
 */
export async function dashboardData(database: Database, days: number): Promise<DashboardData> {
  const {
    segments: segmentStore,
    segmentCounts,
    customerSegments,
    scores: scoreStore,
    experiments: experimentStore,
  } = database.collections;
  const since = new Date(Date.now() - days * DAY).toISOString().slice(0, 10);
  // `number` (any numeric BSON type) is a `$type` alias the driver's types do not list.
  const hasSendHour: Document = { bestSendHour: { $type: 'number' } };
  const [segments, counts, stays, scores, experiments] = await Promise.all([
    segmentStore.find({}, { projection: { name: 1 } }).toArray(),
    segmentCounts.find({ day: { $gte: since } }, { projection: { segmentId: 1, day: 1, size: 1 } }).toArray(),
    customerSegments.find({}, { projection: { lifecycle: 1 } }).toArray(),
    scoreStore.find(hasSendHour, { projection: { bestSendHour: 1, sendHourConfidence: 1 } }).toArray(),
    experimentStore.find({}, { projection: { name: 1, status: 1, results: 1 } }).toArray(),
  ]);

  const names = new Map(segments.map((s) => [String(s._id), String(s.name)]));
  const bySegment = new Map<string, { day: string; size: number }[]>();
  for (const c of counts) {
    let points = bySegment.get(c.segmentId);
    if (!points) bySegment.set(c.segmentId, (points = []));
    points.push({ day: c.day, size: c.size });
  }
  const segmentSizes = [...bySegment].map(([segmentId, points]) => ({
    segmentId,
    name: names.get(segmentId) ?? segmentId,
    points: points.sort((a, b) => a.day.localeCompare(b.day)),
  }));

  const stages = new Map<string, number>();
  const moves = new Map<string, number>();
  for (const s of stays) {
    const lifecycle = s.lifecycle as { stage?: string; history?: { from?: string; to?: string }[] } | undefined;
    if (!lifecycle?.stage) continue;
    stages.set(lifecycle.stage, (stages.get(lifecycle.stage) ?? 0) + 1);
    for (const h of lifecycle.history ?? [])
      if (h.from && h.to) moves.set(`${h.from}\0${h.to}`, (moves.get(`${h.from}\0${h.to}`) ?? 0) + 1);
  }

  const heat = BANDS.map(() => new Array<number>(24).fill(0));
  for (const s of scores) {
    const hour = Math.trunc(Number(s.bestSendHour));
    if (hour < 0 || hour > 23) continue;
    const band = BANDS.findIndex((b) => Number(s.sendHourConfidence ?? 0) < b.below);
    heat[band]![hour]!++;
  }

  return {
    segmentSizes,
    lifecycle: {
      stages: [...stages].map(([stage, customers]) => ({ stage, customers })).sort((a, b) => b.customers - a.customers),
      moves: [...moves].map(([k, count]) => {
        const [from, to] = k.split('\0') as [string, string];
        return { from, to, count };
      }),
    },
    sendHours: { bands: BANDS.map((b) => b.name), counts: heat },
    experiments: experiments.map((e) => ({
      id: String(e._id),
      name: String(e.name),
      status: String(e.status ?? 'draft'),
      results: e.results ?? {},
    })),
  };
}
