import { Ajv, type ValidateFunction } from 'ajv';
import type { Express } from 'express';
import request, { type Response } from 'supertest';

type Method = 'get' | 'post' | 'put' | 'delete';
interface OpenApiDocument {
  paths: Record<string, Partial<Record<Method, { responses: Record<string, { content?: Record<string, unknown> }> }>>>;
}

/**
 * The document's schemas as the JSON Schema a response is held to (ajv's draft-07). OpenAPI 3.0's `nullable: true`
 * becomes "or null" (ajv reads `nullable` only beside a `type`; zod-to-openapi also puts it beside
 * `allOf`/`$ref`). Objects are closed: a field the server sends that the document does not name is
 * a mismatch (zod strips unknown keys when it parses, but nothing parses a response).
 */
function asJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(asJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const { nullable, ...rest } = Object.fromEntries(
    Object.entries(node).map(([k, v]) => [k, asJsonSchema(v)]),
  ) as Record<string, unknown>;
  // OpenAPI 3.0 writes an exclusive bound as `minimum: n, exclusiveMinimum: true`; JSON Schema as `exclusiveMinimum: n`.
  for (const [bound, exclusive] of [
    ['minimum', 'exclusiveMinimum'],
    ['maximum', 'exclusiveMaximum'],
  ] as const) {
    if (rest[exclusive] === true) {
      rest[exclusive] = rest[bound];
      delete rest[bound];
    } else if (rest[exclusive] === false) delete rest[exclusive];
  }
  const closed =
    rest.type === 'object' && rest.properties && rest.additionalProperties === undefined
      ? { ...rest, additionalProperties: false }
      : rest;
  return nullable === true
    ? { anyOf: [closed, { type: 'null' }] }
    : nullable === undefined
      ? closed
      : { ...closed, nullable };
}

const pointer = (...parts: string[]) => parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

/**
 * Checks real responses against the app's own `/openapi.json`: the status must be documented for
 * the operation, and a JSON body must validate against the documented schema. The document is the
 * one clients read, so this checks what the zod response schemas promise, after serialisation
 * (dates as strings, undefined dropped), not the zod schemas themselves.
 */
export class OpenApiChecker {
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  private readonly templates: { path: string; pattern: RegExp; literal: number }[];
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(private readonly document: OpenApiDocument) {
    // OpenAPI 3.0 formats we emit; values are what JSON.stringify gives (a Date → ISO string).
    this.ajv.addFormat('date-time', (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s));
    this.ajv.addFormat('date', /^\d{4}-\d\d-\d\d$/);
    this.ajv.addFormat('email', /^[^\s@]+@[^\s@]+$/);
    this.ajv.addFormat('uri', (s: string) => URL.canParse(s));
    this.ajv.addSchema(asJsonSchema(document) as object, 'openapi');
    this.templates = Object.keys(document.paths).map((path) => ({
      path,
      pattern: new RegExp(`^${path.replace(/\{\w+\}/g, '[^/]+')}$`),
      literal: path.split('/').filter((part) => !part.startsWith('{')).length,
    }));
  }

  /** Throws (failing the test) when the response is not what the document says the route answers. */
  check(res: Response): void {
    const req = (res as unknown as { req: { method: string; path: string } }).req;
    const method = req.method.toLowerCase() as Method;
    const urlPath = decodeURI(req.path.split('?')[0]!);
    const where = `${req.method} ${urlPath} → ${res.status}`;
    // The most literal template wins: /v1/segments/preview before /v1/segments/{key}.
    const template = this.templates
      .filter((t) => t.pattern.test(urlPath) && this.document.paths[t.path]![method])
      .sort((a, b) => b.literal - a.literal)[0];
    if (!template) throw new Error(`${where}: no operation in /openapi.json`);
    const responses = this.document.paths[template.path]![method]!.responses;
    const status = responses[String(res.status)]
      ? String(res.status)
      : res.status >= 400 && responses['default']
        ? 'default'
        : undefined;
    if (!status)
      throw new Error(
        `${where}: status not documented for ${method.toUpperCase()} ${template.path} (documented: ${Object.keys(responses).join(', ')})`,
      );
    const documented = responses[status]!;
    if (!/^application\/json\b/.test(res.headers['content-type'] ?? '')) return;
    if (!documented.content?.['application/json'])
      throw new Error(`${where}: answers JSON, but the document gives this status no JSON body`);
    const ref = `openapi#/${pointer('paths', template.path, method, 'responses', status, 'content', 'application/json', 'schema')}`;
    let validate = this.validators.get(ref);
    if (!validate) {
      validate = this.ajv.getSchema(ref);
      if (!validate) throw new Error(`${where}: cannot compile ${ref}`);
      this.validators.set(ref, validate);
    }
    if (!validate(res.body))
      throw new Error(
        `${where}: body does not match /openapi.json: ${this.ajv.errorsText(validate.errors, { dataVar: 'body' })}`,
      );
  }
}

/** A supertest client whose every response is checked by `OpenApiChecker` when it is awaited. */
export interface OpenApiClient {
  get(path: string): request.Test;
  post(path: string): request.Test;
  put(path: string): request.Test;
  delete(path: string): request.Test;
  checker: OpenApiChecker;
}

/** Reads the app's `/openapi.json` once; call in `beforeAll`, after building the app. */
export async function openApiClient(app: Express): Promise<OpenApiClient> {
  const doc = await request(app).get('/openapi.json').expect(200);
  const checker = new OpenApiChecker(doc.body as OpenApiDocument);
  const wrap = (method: Method) => (path: string) =>
    request(app)
      [method](path)
      .expect((res: Response) => checker.check(res));
  return { get: wrap('get'), post: wrap('post'), put: wrap('put'), delete: wrap('delete'), checker };
}
