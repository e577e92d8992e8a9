/**
 * GA4 Measurement Protocol's documented limits and reserved names, as its validation server
 * applies them (docs/ga4.md cites each source):
 * - Measurement Protocol reference, "Payload" and "Reserved names":
 *   https://developers.google.com/analytics/devguides/collection/protocol/ga4/reference
 * - "Send Measurement Protocol events", "Limitations":
 *   https://developers.google.com/analytics/devguides/collection/protocol/ga4/sending-events
 * - "[GA4] Event collection limits" (longer page_location / page_referrer / page_title values):
 *   https://support.google.com/analytics/answer/9267744
 * - "Measure ecommerce" (at most 200 items per event):
 *   https://developers.google.com/analytics/devguides/collection/ga4/ecommerce
 */
export const GA4_LIMITS = {
  /** "The post body must be smaller than 130kB." */
  bodyBytes: 130_000,
  eventsPerRequest: 25,
  paramsPerEvent: 25,
  userProperties: 25,
  nameLength: 40,
  userPropertyNameLength: 24,
  userPropertyValueLength: 36,
  paramValueLength: 100,
  userIdLength: 256,
  itemsPerEvent: 200,
  /** Events can be backdated up to 72 hours. */
  backdateMs: 72 * 3_600_000,
} as const;

/** Parameters whose values GA4 allows to be longer than `paramValueLength`. */
export const longParamValues: Readonly<Record<string, number>> = {
  page_location: 1000,
  page_referrer: 420,
  page_title: 300,
};

/** Event and parameter names: a letter, then letters, digits and underscores. */
export const namePattern = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Prefixes no event, parameter or user property name may start with. */
export const reservedPrefixes = ['ga_', 'google_', 'firebase_'] as const;

/** Event names the Measurement Protocol refuses: GA4 collects these itself. */
export const reservedEventNames: ReadonlySet<string> = new Set([
  'ad_activeview',
  'ad_click',
  'ad_exposure',
  'ad_impression',
  'ad_query',
  'ad_reward',
  'adunit_exposure',
  'app_background',
  'app_clear_data',
  'app_exception',
  'app_remove',
  'app_store_refund',
  'app_store_subscription_cancel',
  'app_store_subscription_convert',
  'app_store_subscription_renew',
  'app_update',
  'app_upgrade',
  'dynamic_link_app_open',
  'dynamic_link_app_update',
  'dynamic_link_first_open',
  'error',
  'firebase_campaign',
  'firebase_in_app_message_action',
  'firebase_in_app_message_dismiss',
  'firebase_in_app_message_impression',
  'first_open',
  'first_visit',
  'in_app_purchase',
  'notification_dismiss',
  'notification_foreground',
  'notification_open',
  'notification_receive',
  'os_update',
  'session_start',
  'session_start_with_rollout',
  'user_engagement',
]);

export const reservedParamNames: ReadonlySet<string> = new Set(['firebase_conversion']);

export const reservedUserPropertyNames: ReadonlySet<string> = new Set([
  'first_open_time',
  'first_visit_time',
  'last_deep_link_referrer',
  'user_id',
  'first_open_after_install',
]);

/** GA4's validation codes (the `validationCode` of a validation message). */
export const validationCodes = [
  'VALUE_INVALID',
  'VALUE_REQUIRED',
  'NAME_INVALID',
  'NAME_RESERVED',
  'VALUE_OUT_OF_BOUNDS',
  'EXCEEDED_MAX_ENTITIES',
  'NAME_DUPLICATED',
  'MAX_BODY_SIZE_EXCEEDED',
] as const;
export type ValidationCode = (typeof validationCodes)[number];

/** One finding, in the format of GA4's validation server (`/debug/mp/collect`). */
export interface ValidationMessage {
  fieldPath: string;
  description: string;
  validationCode: ValidationCode;
}
