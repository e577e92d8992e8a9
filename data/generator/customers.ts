import { browsingPatterns, type BrowsingPattern } from './activity.js';
import { categories } from './catalog.js';
import type { Rng } from '../../src/random.js';
import type { SimDevice } from './simEventTypes.js';
import { zones, zoneWeights } from './timezones.js';

/**
 * Who a synthetic customer is, including what no model may see: the hidden traits drive the
 * simulation and are stored in `sim_truth` so tests and benchmarks can score predictions.
 */

export const abandonReasons = ['price', 'shipping', 'comparison', 'impulse'] as const;
export type AbandonReason = (typeof abandonReasons)[number];
export type SignupSource = 'website' | 'post_purchase' | 'social' | 'referral';

export interface HiddenTraits {
  /** λ: orders per day while alive (BG/NBD); gamma across customers. */
  purchaseRate: number;
  /** p: chance of dropping out for good after each order (BG/NBD); beta across customers. */
  dropoutProb: number;
  /** Mean order value in USD (Gamma–Gamma); each order's target spend is gamma around it. */
  spendLevel: number;
  /** 0 buys the dearest, 1 hunts the cheapest and uses coupons. */
  priceSensitivity: number;
  categoryAffinity: Record<string, number>;
  /** Buys several times as often in November and December. */
  holidayBuyer: boolean;
  /** Chance of reordering a consumable when it runs out. */
  replenishLoyalty: number;
  timezone: string;
  country: string;
  southern: boolean;
  /** Local hour (0–23) around which this customer reads email. */
  preferredOpenHour: number;
  /** Spread of real opens around the preferred hour, in hours. */
  openHourSd: number;
  emailOpenProb: number;
  /** Chance of a click given an open. */
  emailClickProb: number;
  /** The mail client prefetches every message (Apple MPP): opens fire at delivery and say nothing. */
  machineOpener: boolean;
  /** The address hard-bounces on the first send. */
  badAddress: boolean;
  emailConsent: boolean;
  smsConsent: boolean;
  smsClickProb: number;
  /** Share of cart sessions that end without an order. */
  abandonPropensity: number;
  abandonReason: AbandonReason;
  devicePreference: SimDevice;
  appUser: boolean;
  browsingPattern: BrowsingPattern;
  /** Browsing sessions per day beyond those that lead to orders. */
  browseRate: number;
  socialEngager: boolean;
  signupSource: SignupSource;
  /** Shops seeded with weather only: the region of their weather, and whether they buy outerwear for it. */
  region?: string;
  weatherDriven?: boolean;
}

export interface SimCustomer {
  index: number;
  id: string;
  firstName: string;
  lastName: string;
  email: string;
  signedUpMs: number;
  traits: HiddenTraits;
}

const firstNames = [
  'Olivia',
  'Liam',
  'Emma',
  'Noah',
  'Ava',
  'Oliver',
  'Sophia',
  'Elijah',
  'Isabella',
  'Lucas',
  'Mia',
  'Mateo',
  'Amelia',
  'Leo',
  'Harper',
  'Ethan',
  'Chloe',
  'Arjun',
  'Yuki',
  'Priya',
  'Sofia',
  'Hugo',
  'Freya',
  'Lars',
  'Ana',
  'Diego',
  'Zoe',
  'Kai',
  'Aisha',
  'Omar',
  'Grace',
  'Finn',
  'Lena',
  'Jonas',
  'Mei',
  'Hiro',
  'Nora',
  'Felix',
  'Ines',
  'Marco',
];
const lastNames = [
  'Smith',
  'Johnson',
  'Garcia',
  'Brown',
  'Miller',
  'Davis',
  'Martinez',
  'Lopez',
  'Wilson',
  'Taylor',
  'Thomas',
  'Moore',
  'Martin',
  'Lee',
  'Walker',
  'Young',
  'King',
  'Wright',
  'Scott',
  'Green',
  'Baker',
  'Adams',
  'Nguyen',
  'Kim',
  'Patel',
  'Schmidt',
  'Muller',
  'Dubois',
  'Rossi',
  'Silva',
  'Tanaka',
  'Sato',
  'Kowalski',
  'Jensen',
  'Murphy',
  'Kelly',
  'Novak',
  'Costa',
  'Fischer',
  'Andersson',
];

/** Email readers cluster at breakfast, lunch and the evening. */
const openHourWeights = [
  0.3, 0.15, 0.1, 0.1, 0.2, 0.5, 1.5, 3, 3.5, 2.5, 1.5, 1.5, 2.5, 2, 1.5, 1.5, 1.5, 2, 2.5, 3, 3.5, 3, 2, 0.8,
];
const signupSources: Record<SignupSource, number> = { website: 45, post_purchase: 25, social: 15, referral: 15 };
const emailConsentBySource: Record<SignupSource, number> = {
  website: 0.75,
  post_purchase: 0.6,
  social: 0.8,
  referral: 0.7,
};
const devices: Record<SimDevice, number> = { mobile: 55, desktop: 38, tablet: 7 };
const patternWeights = [0.15, 0.15, 0.3, 0.4];

export const customerIdOf = (index: number): string => `cust-${String(index + 1).padStart(7, '0')}`;

/** Draws a customer; everything comes from its own stream so it is the same in any batch. */
export function drawCustomer(rng: Rng, index: number, startMs: number, endMs: number): SimCustomer {
  const id = customerIdOf(index);
  const firstName = rng.pick(firstNames);
  const lastName = rng.pick(lastNames);
  const zone = zones[rng.categorical(zoneWeights)]!;
  const signupSource = rng.weighted(signupSources);
  const priceSensitivity = rng.beta(2, 2);
  const purchaseRate = rng.gamma(0.8, 0.014);
  const devicePreference = rng.weighted(devices);
  const holidayBuyer = rng.chance(0.2);
  // A few customers live in one or two categories; the Dirichlet's small alpha makes that common.
  const affinity = rng.dirichlet(categories.map(() => 0.35));
  const categoryAffinity: Record<string, number> = {};
  categories.forEach((c, i) => (categoryAffinity[c] = Math.round(affinity[i]! * 1e4) / 1e4));
  if (holidayBuyer) categoryAffinity.gifts = Math.max(categoryAffinity.gifts!, 0.1);

  const traits: HiddenTraits = {
    purchaseRate,
    dropoutProb: rng.beta(1, 5),
    spendLevel: Math.round(rng.gamma(4, 20) * (1.35 - 0.7 * priceSensitivity) * 100) / 100,
    priceSensitivity,
    categoryAffinity,
    holidayBuyer,
    replenishLoyalty: rng.beta(2, 3),
    timezone: zone.tz,
    country: zone.country,
    southern: zone.southern,
    preferredOpenHour: rng.categorical(openHourWeights),
    openHourSd: rng.uniform(0.6, 1.8),
    // Heavy buyers read more of the shop's email: a real, learnable link between the two.
    emailOpenProb: Math.min(0.95, rng.beta(1.3, 2.6) + 4 * purchaseRate),
    emailClickProb: rng.beta(1.5, 9),
    machineOpener: rng.chance(0.1),
    badAddress: rng.chance(0.02),
    emailConsent: rng.chance(emailConsentBySource[signupSource]),
    smsConsent: rng.chance(0.3),
    smsClickProb: rng.beta(1, 12),
    abandonPropensity: rng.beta(2, 4),
    abandonReason: rng.pick(abandonReasons),
    devicePreference,
    appUser: devicePreference !== 'desktop' && rng.chance(0.35),
    browsingPattern: browsingPatterns[rng.categorical(patternWeights)]!,
    browseRate: rng.gamma(2, 0.02),
    socialEngager: rng.chance(signupSource === 'social' ? 0.7 : 0.2),
    signupSource,
  };
  // Sign-ups lean a little towards the start of history so most customers have a past to learn from.
  const signedUpMs = Math.floor(startMs + (endMs - startMs - 3_600_000) * Math.pow(rng.next(), 1.2));
  return {
    index,
    id,
    firstName,
    lastName,
    email: `${firstName}.${lastName}.${index + 1}@example.com`.toLowerCase(),
    signedUpMs,
    traits,
  };
}
