import fs from 'node:fs';
import { gunzipSync } from 'node:zlib';

/**
 * Customer journeys in the compact form every attribution model reads: channel ids in one typed
 * array, each path a slice of it, and per path the conversions, revenue and non-conversions it
 * stands for. Identical journeys are folded into one path first (a million journeys of the
 * reference file become ten thousand paths), so the models' cost follows the distinct paths.
 */

export interface Touch {
  channel: string;
  /** Days between the touch and the journey's end (the order, or the end of the window). */
  ageDays?: number;
}

export interface Journey {
  touches: readonly Touch[];
  /** Orders the journey ended in (0 for a journey that did not convert). */
  conversions: number;
  /** Revenue of those orders. */
  value: number;
  /** Journeys of this shape that did not convert: what Markov's null state is learned from. */
  nulls?: number;
}

export interface PathSet {
  /** Channel names by id. */
  channels: string[];
  /** Path i is `touches[offsets[i] .. offsets[i + 1])`; offsets has one entry more than there are paths. */
  offsets: Uint32Array;
  touches: Uint16Array;
  /** Per touch, days before the end of its journey; null when the paths carry no times. */
  ages: Float64Array | null;
  conversions: Float64Array;
  value: Float64Array;
  nulls: Float64Array;
}

export function pathCount(paths: PathSet): number {
  return paths.conversions.length;
}

/**
 * Builds a PathSet, folding journeys with the same channel sequence (and, when any journey has
 * touch times, the same times: time decay needs them) into one path. Journeys without touches
 * are dropped: no channel can take their credit. `fold: false` keeps one path per journey (the
 * benchmark's baseline).
 */
export function buildPathSet(journeys: Iterable<Journey>, { fold = true }: { fold?: boolean } = {}): PathSet {
  // A null-prototype object: property lookup by name is about twice as fast as a Map here.
  const channelIds: Record<string, number> = Object.create(null);
  const channels: string[] = [];
  const idOf = (name: string): number => {
    let id = channelIds[name];
    if (id === undefined) {
      id = channels.length;
      if (id > 0xffff) throw new Error('more than 65,536 channels');
      channelIds[name] = id;
      channels.push(name);
    }
    return id;
  };
  // Journeys are matched by a hash of their channel ids (and times), then compared in full: no
  // string keys, so folding a million journeys costs little more than reading them.
  const buckets = new Map<number, number[]>();
  const seqs: Uint16Array[] = [];
  const ageLists: (Float64Array | null)[] = [];
  const conv: number[] = [];
  const val: number[] = [];
  const nul: number[] = [];
  let ids = new Uint16Array(64);
  let ages = new Float64Array(64);
  let timed = false;
  let lastName: string | undefined;
  let lastId = 0;
  for (const j of journeys) {
    const touches = j.touches;
    const length = touches.length;
    if (length === 0) continue;
    if (ids.length < length) [ids, ages] = [new Uint16Array(length * 2), new Float64Array(length * 2)];
    let hash = length;
    let hasTimes = false;
    for (let k = 0; k < length; k++) {
      const touch = touches[k]!;
      // Journeys often repeat a channel: the previous lookup is reused.
      const id = touch.channel === lastName ? lastId : (lastId = idOf((lastName = touch.channel)));
      ids[k] = id;
      hash = Math.imul(hash ^ id, 0x01000193);
      if (touch.ageDays !== undefined) {
        hasTimes = true;
        ages[k] = touch.ageDays;
        hash = Math.imul(hash ^ Math.round(touch.ageDays * 1440), 0x01000193);
      } else {
        // A journey without times among timed ones: its touches are taken as one day apart.
        ages[k] = length - 1 - k;
      }
    }
    timed ||= hasTimes;
    const bucket = fold ? buckets.get(hash) : undefined;
    let i = bucket?.find((c) => sameJourney(seqs[c]!, ageLists[c]!, ids, hasTimes ? ages : null, length));
    if (i === undefined) {
      i = seqs.length;
      if (fold) {
        if (bucket) bucket.push(i);
        else buckets.set(hash, [i]);
      }
      seqs.push(ids.slice(0, length));
      ageLists.push(hasTimes ? ages.slice(0, length) : null);
      conv.push(0);
      val.push(0);
      nul.push(0);
    }
    conv[i]! += j.conversions;
    val[i]! += j.value;
    nul[i]! += j.nulls ?? (j.conversions > 0 ? 0 : 1);
  }
  return pack(channels, seqs, timed ? ageLists : null, conv, val, nul);
}

function sameJourney(
  seq: Uint16Array,
  seqAges: Float64Array | null,
  ids: Uint16Array,
  ages: Float64Array | null,
  length: number,
): boolean {
  if (seq.length !== length || (seqAges === null) !== (ages === null)) return false;
  for (let k = 0; k < length; k++) if (seq[k] !== ids[k] || (ages && seqAges![k] !== ages[k])) return false;
  return true;
}

function pack(
  channels: string[],
  seqs: Uint16Array[],
  ageLists: (Float64Array | null)[] | null,
  conv: number[],
  val: number[],
  nul: number[],
): PathSet {
  const offsets = new Uint32Array(seqs.length + 1);
  for (let i = 0; i < seqs.length; i++) offsets[i + 1] = offsets[i]! + seqs[i]!.length;
  const touches = new Uint16Array(offsets[seqs.length]!);
  const ages = ageLists ? new Float64Array(touches.length) : null;
  for (let i = 0; i < seqs.length; i++) {
    const seq = seqs[i]!;
    touches.set(seq, offsets[i]!);
    if (ages) ages.set(ageLists![i] ?? seq.map((_, k) => seq.length - 1 - k), offsets[i]!);
  }
  return {
    channels,
    offsets,
    touches,
    ages,
    conversions: Float64Array.from(conv),
    value: Float64Array.from(val),
    nulls: Float64Array.from(nul),
  };
}

/**
 * Reads ChannelAttribution's path-table layout (`path;total_conversions;total_conversion_value;total_null`,
 * channels separated by `>`), the format of its example data set, into journeys.
 */
export function parsePathTable(text: string, separator = ';'): Journey[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines.shift() ?? '').split(separator).map((h) => h.trim());
  const col = (name: string) => header.indexOf(name);
  const [p, c, v, n] = [col('path'), col('total_conversions'), col('total_conversion_value'), col('total_null')];
  if (p < 0 || c < 0) throw new Error('a path table needs the columns path and total_conversions');
  return lines.map((line) => {
    const cells = line.split(separator);
    return {
      touches: (cells[p] ?? '')
        .split('>')
        .map((s) => ({ channel: s.trim() }))
        .filter((t) => t.channel !== ''),
      conversions: Number(cells[c]),
      value: v >= 0 ? Number(cells[v]) : 0,
      nulls: n >= 0 ? Number(cells[n]) : 0,
    };
  });
}

/** A path table from a file, plain or gzip-compressed. */
export function readPathTable(file: string): Journey[] {
  const raw = fs.readFileSync(file);
  return parsePathTable((file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8'));
}
