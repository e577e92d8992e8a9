import {
  E,
  defineFold,
  numberFeature as n,
  textFeature,
  type EventCode,
  type FoldContext,
  type FoldEvent,
} from './defineFold.js';
import { DAY } from './read.js';

const devices = ['desktop', 'mobile', 'tablet'] as const;

/** Events we send or that happen to a message: they are not something the customer did. */
const passiveMask = (1 << E.email_sent) | (1 << E.email_delivered) | (1 << E.email_bounced) | (1 << E.sms_sent);

/** How long the customer has been around, how they come, and the other channels they use. */
export const activityFold = defineFold({
  name: 'activity',
  description: 'tenure, devices and other channels',
  features: {
    tenureDays: n('days since the first event of the customer', 'days'),
    daysSinceLastActivity: n(
      'days since the last thing the customer did (any event but email/SMS sends, deliveries and bounces); null if nothing',
      'days',
    ),
    preferredDevice: textFeature(
      'most used device (desktop, mobile, tablet) over events that report one; ties go to the most recently used; null if none',
      'device',
    ),
    supportTickets90d: n('support tickets opened in the last 90 days', 'count', '90 days'),
    smsClicks90d: n('SMS clicks in the last 90 days', 'count', '90 days'),
    appOpens90d: n('app opens in the last 90 days', 'count', '90 days'),
    socialEngagements90d: n('social media engagements in the last 90 days', 'count', '90 days'),
  },
  create: (ctx) => new ActivityState(ctx),
});

class ActivityState {
  private first = NaN;
  private lastActive = NaN;
  private readonly deviceCounts = [0, 0, 0];
  private readonly deviceLast = [0, 0, 0];
  private tickets = 0;
  private smsClicks = 0;
  private appOpens = 0;
  private social = 0;

  constructor(private readonly ctx: FoldContext) {}

  add(e: FoldEvent, t: number, code: EventCode): void {
    if (Number.isNaN(this.first)) this.first = t;
    if (((1 << code) & passiveMask) === 0) this.lastActive = t;
    const device = e.device;
    if (device) {
      const d = device === 'desktop' ? 0 : device === 'mobile' ? 1 : device === 'tablet' ? 2 : -1;
      if (d >= 0) {
        this.deviceCounts[d]!++;
        this.deviceLast[d] = t;
      }
    }
    if (t < this.ctx.since90d) return;
    if (code === E.support_ticket_opened) this.tickets++;
    else if (code === E.sms_clicked) this.smsClicks++;
    else if (code === E.app_opened) this.appOpens++;
    else if (code === E.social_engaged) this.social++;
  }

  finish() {
    const { asOf } = this.ctx;
    let best = -1;
    for (let d = 0; d < devices.length; d++) {
      const count = this.deviceCounts[d]!;
      if (count === 0) continue;
      if (
        best < 0 ||
        count > this.deviceCounts[best]! ||
        (count === this.deviceCounts[best]! && this.deviceLast[d]! > this.deviceLast[best]!)
      )
        best = d;
    }
    return {
      tenureDays: Number.isNaN(this.first) ? null : (asOf - this.first) / DAY,
      daysSinceLastActivity: Number.isNaN(this.lastActive) ? null : (asOf - this.lastActive) / DAY,
      preferredDevice: best < 0 ? null : devices[best]!,
      supportTickets90d: this.tickets,
      smsClicks90d: this.smsClicks,
      appOpens90d: this.appOpens,
      socialEngagements90d: this.social,
    };
  }
}
