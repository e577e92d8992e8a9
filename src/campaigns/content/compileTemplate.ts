/**
 * A small logic-less template language for the HTML that MJML produced once, filled per recipient:
 *
 *   {{path}}                  the value, HTML-escaped (plain-text templates: as is)
 *   {{money path}}            a price in its object's `currency` (`order.total` → `order.currency`), else the nearest in scope
 *   {{track path}}            the value as a click-tracked URL (the link is recorded for the message)
 *   {{#each path}}…{{/each}}  once per item; inside, names resolve on the item first
 *   {{#if path}}…{{else}}…{{/if}}   truthy, and non-empty for arrays
 *
 * Parsing happens once per template; a fill walks closures and joins strings, so a render costs
 * microseconds where running MJML per recipient costs milliseconds.
 */

/** What a fill needs besides the data: how to record a tracked link. */
export interface FillContext {
  track(url: string): string;
}

type Scope = readonly unknown[];
type Part = (scopes: Scope, ctx: FillContext) => string;

export type CompiledTemplate = (data: object, ctx: FillContext) => string;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const NEEDS_ESCAPE = /[&<>"']/;

/** Product names and the like repeat across recipients: escaping each once pays off. */
const escaped = new Map<string, string>();
const ESCAPED_LIMIT = 50_000;

export function escapeHtml(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  let out = escaped.get(s);
  if (out === undefined) {
    if (escaped.size >= ESCAPED_LIMIT) escaped.clear();
    escaped.set(s, (out = s.replace(/[&<>"']/g, (c) => ESCAPES[c]!)));
  }
  return out;
}

const moneyFormats = new Map<string, Intl.NumberFormat>();
/** Intl formatting is a visible share of a render; a catalogue has few distinct prices. */
const formatted = new Map<string, string>();
const FORMATTED_LIMIT = 50_000;

export function formatMoney(amount: number, currency: string): string {
  const key = `${currency}${amount}`;
  const hit = formatted.get(key);
  if (hit !== undefined) return hit;
  let format = moneyFormats.get(currency);
  if (!format) moneyFormats.set(currency, (format = new Intl.NumberFormat('en-US', { style: 'currency', currency })));
  if (formatted.size >= FORMATTED_LIMIT) formatted.clear();
  const text = format.format(amount);
  formatted.set(key, text);
  return text;
}

function lookup(scopes: Scope, path: readonly string[]): unknown {
  const [head, ...rest] = path;
  let value: unknown;
  if (head === 'this') value = scopes[scopes.length - 1];
  else {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const scope = scopes[i];
      if (scope !== null && typeof scope === 'object' && head! in scope) {
        value = (scope as Record<string, unknown>)[head!];
        break;
      }
    }
  }
  for (const key of rest) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const truthy = (v: unknown) => (Array.isArray(v) ? v.length > 0 : Boolean(v));
const show = (v: unknown) => (v === undefined || v === null ? '' : String(v));

interface Frame {
  kind: 'root' | 'each' | 'if';
  path: string[];
  parts: Part[];
  elseParts?: Part[];
  inElse?: boolean;
}

/** Compiles template text; throws on unbalanced blocks or unknown helpers (a bug in a template). */
export function compileTemplate(source: string, mode: 'html' | 'text', name = 'template'): CompiledTemplate {
  const escape = mode === 'html' ? escapeHtml : (s: string) => s;
  const stack: Frame[] = [{ kind: 'root', path: [], parts: [] }];
  const current = () => stack[stack.length - 1]!;
  const push = (part: Part) => {
    const frame = current();
    (frame.inElse ? frame.elseParts! : frame.parts).push(part);
  };
  const tag = /\{\{\s*([#/]?)([^}]*?)\s*\}\}/g;
  let last = 0;
  for (let m = tag.exec(source); m; m = tag.exec(source)) {
    const literal = source.slice(last, m.index);
    if (literal) push(() => literal);
    last = tag.lastIndex;
    const [, sigil, body] = m as unknown as [string, string, string];
    const words = body.split(/\s+/);
    const path = (words[words.length - 1] ?? '').split('.');
    if (sigil === '#') {
      if (words[0] !== 'each' && words[0] !== 'if') throw new Error(`${name}: unknown block {{#${body}}}`);
      stack.push({ kind: words[0], path, parts: [], elseParts: [] });
    } else if (sigil === '/') {
      const frame = stack.pop()!;
      if (frame.kind !== body) throw new Error(`${name}: {{/${body}}} closes {{#${frame.kind}}}`);
      push(frame.kind === 'each' ? eachPart(frame) : ifPart(frame));
    } else if (body === 'else') {
      if (current().kind !== 'if') throw new Error(`${name}: {{else}} outside {{#if}}`);
      current().inElse = true;
    } else if (words.length === 1) {
      push((scopes) => escape(show(lookup(scopes, path))));
    } else if (words[0] === 'track') {
      push((scopes, ctx) => {
        const url = lookup(scopes, path);
        return typeof url === 'string' && url ? escape(ctx.track(url)) : '';
      });
    } else if (words[0] === 'money') {
      const sibling = [...path.slice(0, -1), 'currency'];
      push((scopes) => {
        const amount = lookup(scopes, path);
        if (typeof amount !== 'number') return '';
        const currency = (sibling.length > 1 ? lookup(scopes, sibling) : undefined) ?? lookup(scopes, ['currency']);
        return escape(formatMoney(amount, show(currency) || 'USD'));
      });
    } else throw new Error(`${name}: unknown helper in {{${body}}}`);
  }
  if (stack.length !== 1) throw new Error(`${name}: {{#${current().kind}}} is never closed`);
  const tail = source.slice(last);
  if (tail) push(() => tail);
  const parts = stack[0]!.parts;
  return (data, ctx) => join(parts, [data], ctx);
}

function join(parts: readonly Part[], scopes: Scope, ctx: FillContext): string {
  let out = '';
  for (const part of parts) out += part(scopes, ctx);
  return out;
}

function eachPart(frame: Frame): Part {
  const { path, parts } = frame;
  return (scopes, ctx) => {
    const list = lookup(scopes, path);
    if (!Array.isArray(list)) return '';
    let out = '';
    for (const item of list) out += join(parts, [...scopes, item], ctx);
    return out;
  };
}

function ifPart(frame: Frame): Part {
  const { path, parts, elseParts = [] } = frame;
  return (scopes, ctx) => join(truthy(lookup(scopes, path)) ? parts : elseParts, scopes, ctx);
}
