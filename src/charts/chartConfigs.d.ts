// Types of chartConfigs.js for the server side; the browser needs none. The argument types are the
// API bodies the charts draw, kept loose: their schemas live with the routes.
import type { ChartConfiguration } from 'chart.js';

type Body = any; // eslint-disable-line @typescript-eslint/no-explicit-any
export function attributionChart(report: Body, measure?: 'conversions' | 'value'): ChartConfiguration;
export function kpiChart(kpis: Body): ChartConfiguration;
export function abChart(kpis: Body): ChartConfiguration;
export function holdoutChart(kpis: Body): ChartConfiguration;
export function segmentSizesChart(segmentSizes: Body): ChartConfiguration;
export function lifecycleChart(lifecycle: Body): ChartConfiguration;
export function sendHourChart(sendHours: Body): ChartConfiguration;
export function modelMetricsChart(models: Body): ChartConfiguration;
export function calibrationChart(model: Body): ChartConfiguration;
export function trackingChart(report: Body): ChartConfiguration;
