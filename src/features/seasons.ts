import { E, defineFold, numberFeature, type EventCode, type FoldContext, type FoldEvent } from './defineFold.js';
import { DAY, orderRevenue } from './read.js';
import { isHolidayPeriod, monthDayOf, seasonOfMonth } from './time.js';

const share = (description: string) => numberFeature(description, 'ratio');

/**
 * When in the year a customer spends: share of order revenue (before refunds) by meteorological
 * season of the local order date — December–February is winter in the north and summer in the
 * south (hemisphere from the timezone) — and in the holiday period, 15 November–31 December.
 */
export const seasonsFold = defineFold({
  name: 'seasons',
  description: 'seasonality of spend',
  features: {
    spendShareWinter: share('share of revenue spent in local winter; null without revenue'),
    spendShareSpring: share('share of revenue spent in local spring; null without revenue'),
    spendShareSummer: share('share of revenue spent in local summer; null without revenue'),
    spendShareAutumn: share('share of revenue spent in local autumn; null without revenue'),
    spendShareHoliday: share(
      'share of revenue spent from 15 November to 31 December (local dates); null without revenue',
    ),
  },
  create: (ctx) => new SeasonsState(ctx),
});

class SeasonsState {
  /** Revenue by season index: 0 winter, 1 spring, 2 summer, 3 autumn. */
  private readonly bySeason = [0, 0, 0, 0];
  private holiday = 0;
  private total = 0;

  constructor(private readonly ctx: FoldContext) {}

  add(e: FoldEvent, t: number, code: EventCode): void {
    if (code !== E.order_completed) return;
    const revenue = orderRevenue(e.props);
    if (!(revenue > 0)) return;
    const monthDay = monthDayOf(Math.floor((t + this.ctx.offsetAt(t)) / DAY));
    const month = Math.floor(monthDay / 100);
    this.bySeason[seasonOfMonth(month, this.ctx.southern)]! += revenue;
    if (isHolidayPeriod(monthDay)) this.holiday += revenue;
    this.total += revenue;
  }

  finish() {
    const { total, bySeason } = this;
    const of = (v: number) => (total > 0 ? v / total : null);
    return {
      spendShareWinter: of(bySeason[0]!),
      spendShareSpring: of(bySeason[1]!),
      spendShareSummer: of(bySeason[2]!),
      spendShareAutumn: of(bySeason[3]!),
      spendShareHoliday: of(this.holiday),
    };
  }
}
