import { z } from 'zod';
import { backendName, initBackend } from '../../ml/backend.js';
import { calibrationBinSchema } from '../../ml/churn/index.js';
import { driverImportanceSchema } from '../../ml/metaSchemas.js';
import { getModelVersion, listModels, readModelMeta, type ModelVersionRecord } from '../../ml/registry.js';
import { defineRoute } from '../defineRoute.js';
import { AppError } from '../errors.js';

const timestamp = z.iso.datetime();

const modelVersionSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    status: z.enum(['candidate', 'active', 'retired', 'rejected']),
    asOf: timestamp.nullable(),
    horizonDays: z.number().nullable(),
    features: z.number().meta({ description: 'Number of input columns' }),
    metrics: z.record(z.string(), z.number().nullable()).meta({
      description:
        'Test-split metrics and baselines; the promotion rule compares `auc` for churn, `gini` for ltv and `hit1h` for send-time',
    }),
    backend: z.string().nullable(),
    codeVersion: z.string().nullable(),
    promotedAt: timestamp.nullable(),
    createdAt: timestamp.nullable(),
    notes: z.string().nullable().meta({ description: 'Why the version was or was not promoted' }),
  })
  .meta({ id: 'ModelVersion' });

const modelDetailSchema = modelVersionSchema
  .extend({
    featureSchema: z.array(z.string()),
    calibration: z
      .object({ method: z.string(), a: z.number(), b: z.number(), table: z.array(calibrationBinSchema) })
      .nullable()
      .meta({ description: 'Platt scaling p = σ(a·logit + b) and the calibration table on the test rows' }),
    drivers: z
      .array(driverImportanceSchema)
      .meta({ description: 'Features by mean |gradient × input| on the test rows: what drives the scores overall' }),
    baselines: z.record(z.string(), z.unknown()).nullable(),
    training: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ id: 'ModelVersionDetail' });

function summary(record: ModelVersionRecord): z.infer<typeof modelVersionSchema> {
  const metrics: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(record.metrics))
    if (typeof v === 'number' || v === null) metrics[k] = typeof v === 'number' && !Number.isFinite(v) ? null : v;
  return {
    name: record.name,
    version: record.version,
    status: record.status,
    asOf: record.asOf?.toISOString() ?? null,
    horizonDays: record.horizonDays,
    features: record.featureSchema.length,
    metrics,
    backend: record.backend,
    codeVersion: record.codeVersion,
    promotedAt: record.promotedAt?.toISOString() ?? null,
    createdAt: record.createdAt?.toISOString() ?? null,
    notes: record.notes,
  };
}

interface MetaShape {
  calibration?: { method: string; a: number; b: number };
  metrics?: { calibrationTable?: z.infer<typeof calibrationBinSchema>[]; baselines?: Record<string, unknown> };
  drivers?: z.infer<typeof driverImportanceSchema>[];
  training?: Record<string, unknown>;
}

export const modelRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/models',
    summary: 'Registered model versions and the TensorFlow.js backend in use',
    tags: ['models'],
    roles: ['admin', 'marketer'],
    request: { query: z.object({ name: z.string().min(1).max(100).optional() }) },
    responses: {
      200: {
        description: 'Every version, newest first per model',
        schema: z.object({
          backend: z.object({ name: z.string(), simd: z.boolean().nullable() }),
          items: z.array(modelVersionSchema),
        }),
      },
    },
    handler: async ({ database, query }) => {
      const choice = await initBackend();
      const items = await listModels(database, { name: query.name });
      return { backend: { name: backendName(), simd: choice.simd ?? null }, items: items.map(summary) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/models/:name/:version',
    summary: 'One model version: metrics, calibration (churn) and drivers (churn, ltv)',
    description: '`version` may be `active` for the version scoring currently uses.',
    tags: ['models'],
    roles: ['admin', 'marketer'],
    request: { params: z.object({ name: z.string().min(1).max(100), version: z.string().min(1).max(100) }) },
    responses: {
      200: { description: 'The version', schema: modelDetailSchema },
      404: { description: 'No such model version' },
    },
    handler: async ({ database, params, log }) => {
      const found = await getModelVersion(database, params.name, params.version);
      if (!found.ok) throw new AppError('not_found', found.error.message);
      const meta = await readModelMeta<MetaShape>(found.value);
      // The registry document alone still answers: files can be missing on this host.
      if (!meta.ok)
        log.warn({ model: params.name, version: found.value.version, error: meta.error }, 'model meta.json unreadable');
      const m = meta.ok ? meta.value : {};
      return {
        ...summary(found.value),
        featureSchema: found.value.featureSchema,
        calibration: m.calibration ? { ...m.calibration, table: m.metrics?.calibrationTable ?? [] } : null,
        drivers: m.drivers ?? [],
        baselines: m.metrics?.baselines ?? null,
        training: m.training ?? null,
      };
    },
  }),
];
