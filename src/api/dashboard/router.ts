import { createRequire } from 'node:module';
import path from 'node:path';
import { Router } from 'express';

const here = import.meta.dirname;
const chartJs = path.join(path.dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.js');

/** File served for each dashboard URL: the page, its script and styles, and Chart.js from node_modules (no CDN). */
const files: Record<string, string> = {
  '/dashboard': path.join(here, 'index.html'),
  '/dashboard/app.js': path.join(here, 'app.js'),
  '/dashboard/charts.js': path.join(here, '../../charts/chartConfigs.js'),
  '/dashboard/dashboard.css': path.join(here, 'dashboard.css'),
  '/dashboard/vendor/chart.umd.js': chartJs,
};

/**
 * GET /dashboard and its assets, outside /v1 and without a key: the page holds no data. It asks
 * for a key and calls the API with it, so every number it shows passes the API's role checks.
 */
export function dashboardRouter(): Router {
  const router = Router();
  for (const [url, file] of Object.entries(files)) {
    router.get(url, (_req, res) => {
      res.sendFile(file, { headers: { 'Cache-Control': 'no-cache' } });
    });
  }
  return router;
}
