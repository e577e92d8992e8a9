import fs from 'node:fs';
import path from 'node:path';
import type { ContentLength, StepTemplateKey } from './types.js';

export const templatesDir = path.join(import.meta.dirname, 'templates');

const read = (name: string) => fs.readFileSync(path.join(templatesDir, name), 'utf8');

/**
 * The MJML of one step at one content length: the step's body inside the shared layout, with
 * our few macros expanded (they keep the step files short and every product list alike):
 *
 *   <bc-text>…</bc-text>                a white section with one text block
 *   <bc-button href="…">label</bc-button>   a white section with one button
 *   <bc-products from="path" title="…"/>    the product list partial (`_products.mjml`)
 *   <bc-full>…</bc-full>                 only in the full-length variant (engaged readers)
 *   <bc-short>…</bc-short>               only in the short variant
 */
export function templateSource(step: StepTemplateKey, length: ContentLength): string {
  const body = read(`${step}.mjml`);
  const products = read('_products.mjml');
  const expanded = body
    .replace(/<bc-full>([\s\S]*?)<\/bc-full>/g, (_, inner: string) => (length === 'full' ? inner : ''))
    .replace(/<bc-short>([\s\S]*?)<\/bc-short>/g, (_, inner: string) => (length === 'short' ? inner : ''))
    .replace(/<bc-products\s+from="([\w.]+)"\s+title="([^"]*)"\s*\/>/g, (_, from: string, title: string) =>
      products.replaceAll('FROM', from).replaceAll('TITLE', title),
    )
    .replace(
      /<bc-text>([\s\S]*?)<\/bc-text>/g,
      (_, inner: string) =>
        `<mj-section background-color="#ffffff"><mj-column><mj-text>${inner}</mj-text></mj-column></mj-section>`,
    )
    .replace(
      /<bc-button href="([^"]+)">([\s\S]*?)<\/bc-button>/g,
      (_, href: string, label: string) =>
        `<mj-section background-color="#ffffff"><mj-column><mj-button href="${href}">${label}</mj-button></mj-column></mj-section>`,
    );
  if (/<bc-/.test(expanded)) throw new Error(`${step}.mjml: unknown or malformed <bc-…> macro`);
  return read('_layout.mjml').replace('<!-- body -->', expanded);
}

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
  '&nbsp;': ' ',
  '&middot;': '·',
  '&ldquo;': '“',
  '&rdquo;': '”',
  '&mdash;': '—',
  '&times;': '×',
};

/**
 * The plain-text part, derived from the same MJML (so text and HTML never drift apart): text
 * blocks become paragraphs, links become `label (url)`, buttons `label: url`, and `<mj-raw>`
 * keeps only its template tags (loops and conditions), never its markup (the open pixel).
 */
export function mjmlToText(mjml: string): string {
  return mjml
    .replace(/<mj-head>[\s\S]*?<\/mj-head>/g, '')
    .replace(/<mj-raw>([\s\S]*?)<\/mj-raw>/g, (_, inner: string) =>
      (inner.match(/\{\{[#/][^}]*\}\}|\{\{else\}\}/g) ?? []).join(''),
    )
    .replace(
      /<mj-button[^>]*\shref="([^"]+)"[^>]*>([\s\S]*?)<\/mj-button>/g,
      (_, href: string, label: string) => `\n${label.trim()}: ${href}\n\n`,
    )
    .replace(/<mj-image[^>]*\/>/g, '')
    .replace(
      /<a\s[^>]*href="([^"]+)"[^>]*>([\s\S]*?)<\/a>/g,
      (_, href: string, label: string) => `${label.trim()} (${href})`,
    )
    .replace(/<br\s*\/?>/g, '\n')
    .replace(/<\/(p|h1|h2|mj-text|li)>/g, '\n\n')
    .replace(/<li>/g, '- ')
    .replace(/<[^>]+>/g, '')
    .replace(/&[#\w]+;/g, (e) => ENTITIES[e] ?? e)
    .split('\n')
    .map((line) => line.replace(/[ \t]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
    .concat('\n');
}
