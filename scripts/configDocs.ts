/**
 * Writes docs/configuration.md from the zod schema in src/config.ts: names, defaults, allowed
 * values and descriptions, so the page cannot drift from what the code reads
 * (`npm run docs:config`; tests/readme.test.ts fails when the file is stale).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ZodType } from 'zod';
import { configSchema, projectRoot, secretKeys } from '../src/config.js';

export const configurationPath = path.join(projectRoot, 'docs/configuration.md');

interface Def {
  type: string;
  defaultValue?: unknown;
  innerType?: ZodType;
  entries?: Record<string, string>;
}
const defOf = (schema: ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The schema under `.default()` / `.optional()`, and its default if it has one. */
function unwrap(schema: ZodType): { inner: ZodType; fallback: unknown } {
  let inner = schema;
  let fallback: unknown;
  for (
    let def = defOf(inner);
    (def.type === 'default' || def.type === 'optional') && def.innerType;
    def = defOf(inner)
  ) {
    if (def.type === 'default') fallback = def.defaultValue;
    inner = def.innerType;
  }
  return { inner, fallback };
}

function valuesOf(inner: ZodType): string {
  const def = defOf(inner);
  if (def.type === 'enum' && def.entries)
    return Object.values(def.entries)
      .map((v) => `\`${v}\``)
      .join(', ');
  if (def.type === 'number') {
    const { minValue, maxValue, isInt } = inner as unknown as {
      minValue: number | null;
      maxValue: number | null;
      isInt?: boolean;
    };
    // `.int()` alone bounds a number by the safe integers: not worth printing.
    const shown = (v: number | null) => v !== null && Math.abs(v) < Number.MAX_SAFE_INTEGER;
    const range = [shown(minValue) && `≥ ${minValue}`, shown(maxValue) && `≤ ${maxValue}`].filter(Boolean).join(', ');
    return `${isInt ? 'integer' : 'number'}${range ? ` ${range}` : ''}`;
  }
  if (def.type === 'pipe') return '`true`/`false`';
  return (inner as unknown as { format?: string }).format === 'url' ? 'URL' : 'text';
}

const cell = (text: string) => text.replaceAll('|', '\\|');

export function configurationMarkdown(): string {
  const rows = Object.entries(configSchema.shape).map(([name, schema]) => {
    const { inner, fallback } = unwrap(schema as ZodType);
    const shown = fallback === undefined ? 'unset' : `\`${String(fallback).replace(projectRoot, '<project>')}\``;
    const secret = (secretKeys as readonly string[]).includes(name)
      ? ' *Secret: redacted whenever the configuration is logged.*'
      : '';
    return `| \`${name}\` | ${shown} | ${valuesOf(inner)} | ${cell((schema as ZodType).description ?? '')}${secret} |`;
  });
  return [
    '# Configuration',
    '',
    '<!-- generated from src/config.ts by `npm run docs:config`; edit the schema, not this file -->',
    '',
    'Environment variables, read once at start and validated by the zod schema in `src/config.ts`; an',
    'invalid value stops the process with the variable named. Secrets are redacted whenever the',
    'configuration is logged.',
    '',
    '| variable | default | values | meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  fs.writeFileSync(configurationPath, configurationMarkdown());
  console.log(`wrote ${path.relative(process.cwd(), configurationPath)}`);
}
