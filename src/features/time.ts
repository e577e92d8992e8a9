/**
 * Local time for a customer's timezone without allocating per event. Creating an
 * Intl.DateTimeFormat costs tens of microseconds and formatting one date a few, so each timezone
 * gets one formatter (made once per process) and a cache of its UTC offsets. Every zone's offset
 * changes only at quarter-hour instants, so the offset at the start of a 15-minute slot holds for
 * the whole slot.
 */
import { DAY } from './read.js';

const SLOT = 15 * 60_000;
const MAX_CACHED = 100_000;

export type OffsetFn = (t: number) => number;

const offsetFns = new Map<string, OffsetFn>();
const utc: OffsetFn = () => 0;

/** The zone's offset from UTC (ms) at an instant; unknown or invalid zones are treated as UTC. */
export function offsetFnFor(timezone: string): OffsetFn {
  let fn = offsetFns.get(timezone);
  if (!fn) {
    fn = makeOffsetFn(timezone);
    offsetFns.set(timezone, fn);
  }
  return fn;
}

export function isValidTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

function makeOffsetFn(timezone: string): OffsetFn {
  if (
    timezone === 'UTC' ||
    timezone === 'Etc/UTC' ||
    timezone === 'GMT' ||
    timezone === 'Etc/GMT' ||
    !isValidTimeZone(timezone)
  )
    return utc;
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  });
  // Offsets change about twice a year: cache one per UTC day, and per slot only on the days a
  // change happens (their two ends disagree).
  const days = new Map<number, number>();
  const slots = new Map<number, number>();
  return (t) => {
    const day = Math.floor(t / DAY);
    let offset = days.get(day);
    if (offset === undefined) {
      if (days.size >= MAX_CACHED) days.clear();
      const first = offsetAt(format, day * DAY);
      offset = first === offsetAt(format, day * DAY + DAY - SLOT) ? first : NaN;
      days.set(day, offset);
    }
    if (!Number.isNaN(offset)) return offset;
    const slot = Math.floor(t / SLOT);
    offset = slots.get(slot);
    if (offset === undefined) {
      if (slots.size >= MAX_CACHED) slots.clear();
      offset = offsetAt(format, slot * SLOT);
      slots.set(slot, offset);
    }
    return offset;
  };
}

function offsetAt(format: Intl.DateTimeFormat, t: number): number {
  let y = 0,
    mo = 0,
    d = 0,
    h = 0,
    mi = 0;
  for (const part of format.formatToParts(t)) {
    switch (part.type) {
      case 'year':
        y = Number(part.value);
        break;
      case 'month':
        mo = Number(part.value);
        break;
      case 'day':
        d = Number(part.value);
        break;
      case 'hour':
        h = Number(part.value);
        break;
      case 'minute':
        mi = Number(part.value);
        break;
      default:
    }
  }
  return Date.UTC(y, mo - 1, d, h, mi) - t;
}

/** Local calendar day number (days since 1970-01-01 in the zone) of an instant. */
export function localDay(t: number, offsetAt: OffsetFn): number {
  return Math.floor((t + offsetAt(t)) / DAY);
}

/** Local hour of day (0–23) of an instant. */
export function localHour(t: number, offsetAt: OffsetFn): number {
  const local = t + offsetAt(t);
  return Math.floor((local - Math.floor(local / DAY) * DAY) / 3_600_000);
}

/**
 * Month and day of a day number as `month * 100 + day` (e.g. 1215 for 15 December), by Howard
 * Hinnant's civil-from-days algorithm: integer arithmetic, no Date object.
 */
export function monthDayOf(dayNumber: number): number {
  const z = dayNumber + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return month * 100 + day;
}

export const seasons = ['winter', 'spring', 'summer', 'autumn'] as const;
export type Season = (typeof seasons)[number];

/** Meteorological season index (0 winter, 1 spring, 2 summer, 3 autumn) of a month, by hemisphere. */
export function seasonOfMonth(month: number, southern: boolean): number {
  const northern = month === 12 || month <= 2 ? 0 : month <= 5 ? 1 : month <= 8 ? 2 : 3;
  return southern ? (northern + 2) % 4 : northern;
}

/** The holiday shopping period: 15 November to 31 December (local dates). */
export function isHolidayPeriod(monthDay: number): boolean {
  return monthDay >= 1115;
}

const southernPrefixes = ['Australia/', 'America/Argentina/', 'Antarctica/', 'Brazil/', 'Chile/'];
const southernZones = new Set([
  'Pacific/Auckland',
  'Pacific/Chatham',
  'NZ',
  'NZ-CHAT',
  'Pacific/Fiji',
  'Pacific/Noumea',
  'Pacific/Tongatapu',
  'Pacific/Apia',
  'Pacific/Tahiti',
  'Pacific/Efate',
  'Pacific/Norfolk',
  'Pacific/Rarotonga',
  'Pacific/Easter',
  'Pacific/Port_Moresby',
  'America/Sao_Paulo',
  'America/Bahia',
  'America/Recife',
  'America/Fortaleza',
  'America/Maceio',
  'America/Belem',
  'America/Araguaina',
  'America/Cuiaba',
  'America/Campo_Grande',
  'America/Porto_Velho',
  'America/Rio_Branco',
  'America/Manaus',
  'America/Eirunepe',
  'America/Noronha',
  'America/Santarem',
  'America/Buenos_Aires',
  'America/Cordoba',
  'America/Mendoza',
  'America/Santiago',
  'America/Punta_Arenas',
  'America/Montevideo',
  'America/Asuncion',
  'America/La_Paz',
  'America/Lima',
  'Atlantic/Stanley',
  'Atlantic/South_Georgia',
  'Atlantic/St_Helena',
  'Africa/Johannesburg',
  'Africa/Maseru',
  'Africa/Mbabane',
  'Africa/Windhoek',
  'Africa/Gaborone',
  'Africa/Harare',
  'Africa/Maputo',
  'Africa/Lusaka',
  'Africa/Lubumbashi',
  'Africa/Blantyre',
  'Africa/Luanda',
  'Africa/Dar_es_Salaam',
  'Indian/Antananarivo',
  'Indian/Mauritius',
  'Indian/Reunion',
  'Indian/Mayotte',
  'Indian/Comoro',
  'Indian/Kerguelen',
]);

/** Whether a timezone lies in the southern hemisphere, where the seasons are the other way round. */
export function isSouthernTimeZone(timezone: string): boolean {
  if (southernZones.has(timezone)) return true;
  for (const prefix of southernPrefixes) if (timezone.startsWith(prefix)) return true;
  return false;
}
