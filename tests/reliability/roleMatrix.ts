import { randomBytes } from 'node:crypto';
import { ObjectId } from 'mongodb';

/** The parts of an OpenAPI 3 operation the access walk reads. */
export interface Operation {
  method: string;
  /** OpenAPI form, `/v1/jobs/{id}`. */
  path: string;
  security?: unknown[];
  'x-roles'?: string[];
  'x-read-only'?: boolean;
  parameters?: { name: string; in: string; schema?: ParamSchema }[];
  requestBody?: unknown;
}

interface ParamSchema {
  type?: string;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** Every operation of the document, in document order. */
export function operations(document: { paths: Record<string, Record<string, unknown>> }): Operation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({
      ...(item[method] as Omit<Operation, 'method' | 'path'>),
      method,
      path,
    })),
  );
}

/** A plausible value for a path parameter: what its schema allows, else a fresh id (so nothing is found). */
function sample(schema: ParamSchema | undefined): string {
  if (schema?.enum?.length) return String(schema.enum[0]);
  if (schema?.type === 'integer' || schema?.type === 'number') return String(schema.minimum ?? 1);
  const candidates = [new ObjectId().toHexString(), `x${randomBytes(4).toString('hex')}`, `l${randomBytes(1)[0]}`];
  return candidates.find((c) => !schema?.pattern || new RegExp(schema.pattern).test(c)) ?? candidates[0]!;
}

/** The operation's path with each `{param}` filled in. */
export function concretePath(op: Operation): string {
  return op.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(sample(op.parameters?.find((p) => p.in === 'path' && p.name === name)?.schema)),
  );
}

export const describeOp = (op: Pick<Operation, 'method' | 'path'>) => `${op.method.toUpperCase()} ${op.path}`;
