import { toNumber } from '../../features/read.js';

/**
 * Which model applies to a customer: churn (and the expected next order) to buyers, who ordered
 * before the as-of date; first-purchase propensity to prospects, who did not. Each model was
 * trained on its own cohort only, so a score for the other would be a guess from a model that
 * never saw anyone like them.
 */
export type Cohort = 'buyer' | 'prospect';

/** From the features the customer is scored on (orders before their as-of date). */
export function cohortOf(values: Record<string, unknown>): Cohort {
  return toNumber(values.orders) >= 1 ? 'buyer' : 'prospect';
}

/** Why a score is absent for a cohort, by score field: what profiles and the API say beside the null. */
export const notApplicable: Record<Cohort, Record<string, string>> = {
  buyer: { firstPurchaseProbability: 'has ordered before the as-of date: first-purchase propensity is for prospects' },
  prospect: {
    churnRisk: 'no order before the as-of date: churn risk is for buyers',
    expectedNextOrderAt: 'no order before the as-of date: the next order is predicted for buyers',
  },
};
