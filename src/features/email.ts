import { DAY } from './read.js';
import {
  E,
  defineFold,
  numberFeature as n,
  type EventCode,
  type FoldContext,
  type FoldEvent,
  type FoldValues,
} from './defineFold.js';
import { localHour } from './time.js';

type Digit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9';
type Hour = `0${Digit}` | `1${Digit}` | '20' | '21' | '22' | '23';
export const openHourNames = Array.from(
  { length: 24 },
  (_, h) => `openHour_${String(h).padStart(2, '0')}`,
) as `openHour_${Hour}`[];

const hourFeatures = Object.fromEntries(
  openHourNames.map((name, h) => [
    name,
    n(`human email opens at local hour ${h}:00–${h}:59 (customer timezone)`, 'count'),
  ]),
) as Record<`openHour_${Hour}`, ReturnType<typeof n>>;

const features = {
  emailsSent30d: n('emails sent in the last 30 days', 'count', '30 days'),
  emailsSent90d: n('emails sent in the last 90 days', 'count', '90 days'),
  emailOpenRate30d: n(
    'messages opened by a person (first open in the window; machine opens excluded; a click counts as an open) / emails sent, in the last 30 days, at most 1; null without sends',
    'ratio',
    '30 days',
  ),
  emailOpenRate90d: n('as emailOpenRate30d, over 90 days', 'ratio', '90 days'),
  emailClickRate30d: n(
    'messages clicked (first click in the window) / emails sent in the last 30 days, at most 1; null without sends',
    'ratio',
    '30 days',
  ),
  emailClickRate90d: n('as emailClickRate30d, over 90 days', 'ratio', '90 days'),
  daysSinceLastOpen: n('days since the last human email open; null if never', 'days'),
  daysSinceLastClick: n('days since the last email click; null if never', 'days'),
  emailEngagementTrend: n(
    'open rate in the last 30 days minus open rate in the 60 days before; null unless emails were sent in both',
    'ratio',
    '90 days',
  ),
  ...hourFeatures,
};

/**
 * Email engagement. Opens flagged `machineOpen` (privacy proxies that fetch every image) say
 * nothing about the person and are left out everywhere. Rates count each message once, at its
 * first human open or click, against the sends of the same window. The open-hour histogram
 * (`openHour_00` … `openHour_23`, flat so models and segment rules can use each hour) counts
 * human opens by local hour over all time.
 *
 * A send is known from `email_sent` (our own dispatch) or `email_delivered` (an ESP reporting
 * through Segment's Email spec, which has no "sent"): a shop whose sends arrive only as
 * deliveries had no sends, so no open rate, and every engagement tier stayed empty.
 */
export const emailFold = defineFold({
  name: 'email',
  description: 'email engagement and when opens happen',
  features,
  create: (ctx) => new EmailState(ctx),
});

class EmailState {
  /** Messages with a send or delivery event, counted once each at the first of them. */
  private readonly sends = new SendCounts();
  private opens30 = 0;
  private opens90 = 0;
  private clicks30 = 0;
  private clicks90 = 0;
  private lastOpen = NaN;
  private lastClick = NaN;
  private readonly hours = new Array<number>(24).fill(0);
  private opened: Set<string> | undefined;
  private clicked: Set<string> | undefined;

  constructor(private readonly ctx: FoldContext) {}

  add(e: FoldEvent, t: number, code: EventCode): void {
    const ctx = this.ctx;
    switch (code) {
      case E.email_sent:
      case E.email_delivered:
        this.sends.add(messageKey(e.props), code, t, ctx);
        break;
      case E.email_opened:
        if (e.props?.machineOpen === true) return;
        this.lastOpen = t;
        this.hours[localHour(t, ctx.offsetAt)]!++;
        this.open(messageKey(e.props), t);
        break;
      case E.email_clicked: {
        this.lastClick = t;
        const key = messageKey(e.props);
        this.open(key, t);
        if (key !== null) {
          const clicked = (this.clicked ??= new Set());
          if (clicked.has(key)) return;
          clicked.add(key);
        }
        if (t >= ctx.since90d) {
          this.clicks90++;
          if (t >= ctx.since30d) this.clicks30++;
        }
        break;
      }
      default:
    }
  }

  /** Counts a message's first human open (or click) in the windows it falls in. */
  private open(key: string | null, t: number): void {
    if (key !== null) {
      const opened = (this.opened ??= new Set());
      if (opened.has(key)) return;
      opened.add(key);
    }
    if (t >= this.ctx.since90d) {
      this.opens90++;
      if (t >= this.ctx.since30d) this.opens30++;
    }
  }

  finish(): FoldValues<typeof features> {
    const { asOf } = this.ctx;
    const rate = (events: number, sends: number) => (sends > 0 ? Math.min(1, events / sends) : null);
    const sent30 = this.sends.count('30d');
    const sent90 = this.sends.count('90d');
    const sentPrev = sent90 - sent30;
    const out: Record<string, number | null> = {
      emailsSent30d: sent30,
      emailsSent90d: sent90,
      emailOpenRate30d: rate(this.opens30, sent30),
      emailOpenRate90d: rate(this.opens90, sent90),
      emailClickRate30d: rate(this.clicks30, sent30),
      emailClickRate90d: rate(this.clicks90, sent90),
      daysSinceLastOpen: Number.isNaN(this.lastOpen) ? null : (asOf - this.lastOpen) / DAY,
      daysSinceLastClick: Number.isNaN(this.lastClick) ? null : (asOf - this.lastClick) / DAY,
      emailEngagementTrend:
        sent30 > 0 && sentPrev > 0
          ? Math.min(1, this.opens30 / sent30) - Math.min(1, (this.opens90 - this.opens30) / sentPrev)
          : null,
    };
    for (let h = 0; h < 24; h++) out[openHourNames[h]!] = this.hours[h]!;
    return out as FoldValues<typeof features>;
  }
}

/**
 * Sends in the trailing windows. A message id seen in `email_sent` and in `email_delivered` is one
 * send. Events without an id cannot be matched: where a source reports both for the same
 * messages, the larger of the two counts is the number of sends (not their sum).
 */
class SendCounts {
  private keyed: Set<string> | undefined;
  private readonly windows = { '30d': { keyed: 0, sent: 0, delivered: 0 }, '90d': { keyed: 0, sent: 0, delivered: 0 } };

  add(key: string | null, code: EventCode, t: number, ctx: FoldContext): void {
    if (key !== null) {
      const keyed = (this.keyed ??= new Set());
      if (keyed.has(key)) return;
      keyed.add(key);
    }
    const field = key !== null ? 'keyed' : code === E.email_sent ? 'sent' : 'delivered';
    if (t >= ctx.since90d) {
      this.windows['90d'][field]++;
      if (t >= ctx.since30d) this.windows['30d'][field]++;
    }
  }

  count(window: '30d' | '90d'): number {
    const w = this.windows[window];
    return w.keyed + Math.max(w.sent, w.delivered);
  }
}

function messageKey(props: Record<string, unknown> | null | undefined): string | null {
  const id = props?.messageId;
  return typeof id === 'string' && id !== '' ? id : null;
}
