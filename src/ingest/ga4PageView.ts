import { scalarText as str } from './payloadValues.js';

type Params = Record<string, unknown>;

/** The parameters a page_view's mapping translates; the rest are kept as sent. */
export const pageViewReads = [
  'page_location',
  'page_referrer',
  'page_title',
  'page_path',
  'campaign_source',
  'campaign_medium',
  'campaign_name',
  'campaign',
  'source',
  'medium',
];

const searchEngines = new Set(['google', 'bing', 'duckduckgo', 'yahoo', 'baidu', 'yandex', 'ecosia']);
const socialSites: Record<string, string> = {
  'facebook.com': 'facebook',
  'instagram.com': 'instagram',
  't.co': 'twitter',
  'twitter.com': 'twitter',
  'x.com': 'twitter',
  'linkedin.com': 'linkedin',
  'pinterest.com': 'pinterest',
  'tiktok.com': 'tiktok',
  'reddit.com': 'reddit',
  'youtube.com': 'youtube',
};

function urlOf(v: unknown): URL | undefined {
  const s = str(v);
  if (!s || !URL.canParse(s)) return undefined;
  return new URL(s);
}

/**
 * The source and medium a referring site stands for, as GA4's default channel grouping reads it:
 * a search engine is organic search, a social network social, any other site a referral.
 */
function referrerSource(hostname: string): { source: string; medium: string } {
  const host = hostname.replace(/^(www|m|l|lm|mobile)\./, '');
  const social = socialSites[host];
  if (social) return { source: social, medium: 'social' };
  const engine = host.split('.').find((label) => searchEngines.has(label));
  if (engine) return { source: engine, medium: 'organic' };
  return { source: host, medium: 'referral' };
}

/**
 * A page_view's page and where the visit came from, so attribution sees channels besides email:
 * campaign parameters first (sent as params, as sGTM's GA4 client forwards them, or as utm_* in
 * page_location), then a Google Ads click id (gclid: google / cpc), then the referring site when
 * it is another site than the page's. `trafficFrom` says which of the three it was.
 */
export function pageViewProperties(p: Params): Params {
  const page = urlOf(p.page_location);
  const query = page?.searchParams;
  const fromQuery = (key: string) => query?.get(key) || undefined;
  let utmSource = str(p.campaign_source ?? p.source) ?? fromQuery('utm_source');
  let utmMedium = str(p.campaign_medium ?? p.medium) ?? fromQuery('utm_medium');
  let trafficFrom = utmSource ? 'campaign' : undefined;
  const referrer = urlOf(p.page_referrer);
  if (!utmSource && fromQuery('gclid')) {
    [utmSource, utmMedium, trafficFrom] = ['google', 'cpc', 'gclid'];
  } else if (!utmSource && referrer && referrer.hostname !== page?.hostname) {
    const r = referrerSource(referrer.hostname);
    [utmSource, utmMedium, trafficFrom] = [r.source, r.medium, 'referrer'];
  }
  const out: Params = {
    path: str(p.page_path) ?? page?.pathname,
    url: str(p.page_location),
    title: str(p.page_title),
    referrer: str(p.page_referrer),
    utmSource,
    utmMedium,
    utmCampaign: str(p.campaign_name ?? p.campaign) ?? fromQuery('utm_campaign'),
    trafficFrom,
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}
