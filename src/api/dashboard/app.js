// The dashboard: asks for an API key once (kept in sessionStorage, so it dies with the tab), reads
// the API and draws each chart with the configurations the server's PNG charts use too.
import * as charts from './charts.js';

const KEY = 'breadcrumb.apiKey';
const $ = (id) => document.getElementById(id);
/** Chart instances by name, for people poking around in devtools and for the browser test. */
window.breadcrumbCharts = {};

class Unauthorized extends Error {}

async function api(path) {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${sessionStorage.getItem(KEY)}` } });
  if (res.status === 401) throw new Unauthorized((await res.json()).error.message);
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

function draw(name, config, emptyText) {
  const section = document.querySelector(`[data-chart="${name}"]`);
  if (!config) {
    section.innerHTML = `<p class="empty">${emptyText}</p>`;
    return;
  }
  window.breadcrumbCharts[name] = new Chart(section.querySelector('canvas'), {
    ...config,
    options: { ...config.options, maintainAspectRatio: false, animation: false },
  });
}

async function load() {
  $('login').hidden = true;
  $('charts').hidden = false;
  $('forget').hidden = false;
  $('status').textContent = 'loading…';
  const [attribution, bySegment, byVariant, byFlow, dashboard, models, tracking] = await Promise.all([
    api('/v1/reports/attribution'),
    api('/v1/reports/kpis?by=segment'),
    api('/v1/reports/kpis?by=variant'),
    api('/v1/reports/kpis?by=flow'),
    api('/v1/reports/dashboard'),
    api('/v1/models'),
    api('/v1/reports/tracking'),
  ]);
  const noReport = 'No report yet: run the attribution-report job.';
  draw('attribution', attribution && charts.attributionChart(attribution), noReport);
  draw('attributionValue', attribution && charts.attributionChart(attribution, 'value'), noReport);
  draw('kpiSegments', bySegment?.items.length ? charts.kpiChart(bySegment) : null, 'No segment KPIs yet.');
  draw('ab', byVariant?.items.length ? charts.abChart(byVariant) : null, 'No A/B variants sent in the period.');
  draw(
    'holdout',
    byFlow?.items.some((r) => r.holdout) ? charts.holdoutChart(byFlow) : null,
    'No flow with a holdout group in the period.',
  );
  draw(
    'segmentSizes',
    dashboard.segmentSizes.length ? charts.segmentSizesChart(dashboard.segmentSizes) : null,
    'No segment history yet.',
  );
  draw(
    'lifecycle',
    dashboard.lifecycle.stages.length ? charts.lifecycleChart(dashboard.lifecycle) : null,
    'No lifecycle stages yet.',
  );
  draw(
    'sendHours',
    dashboard.sendHours.counts.flat().some((c) => c > 0) ? charts.sendHourChart(dashboard.sendHours) : null,
    'No send-hour scores yet.',
  );
  draw('modelMetrics', models?.items.length ? charts.modelMetricsChart(models) : null, 'No models trained yet.');
  const churn =
    models?.items.find((m) => m.name === 'churn' && m.status === 'active') ??
    models?.items.find((m) => m.name === 'churn');
  const detail = churn && (await api(`/v1/models/churn/${encodeURIComponent(churn.version)}`));
  draw(
    'calibration',
    detail?.calibration?.table?.length ? charts.calibrationChart(detail) : null,
    'No calibrated churn model yet.',
  );
  drawTracking(tracking);
  $('status').textContent = attribution
    ? `report ${attribution.from.slice(0, 10)} – ${attribution.to.slice(0, 10)}`
    : 'no report yet';
  document.body.dataset.ready = 'true';
}

/** The tracking-quality panel: volume lines (drops in red) and what needs a look, with an example each. */
function drawTracking(report) {
  const list = $('tracking-findings');
  draw(
    'tracking',
    report.rows.some((r) => r.events > 0) ? charts.trackingChart(report) : null,
    'No events counted in the last seven days.',
  );
  if (!list) return;
  for (const f of report.findings.slice(0, 12)) {
    const item = document.createElement('li');
    item.dataset.kind = f.kind;
    const example = f.examples.at(-1);
    item.textContent = `${f.kind} · ${f.source}/${f.type}: ${f.detail}${example ? ` — e.g. ${example.eventId ?? ''} ${example.detail}` : ''}`;
    list.append(item);
  }
}

function askForKey(message = '') {
  $('charts').hidden = true;
  $('forget').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
}

async function start() {
  if (!sessionStorage.getItem(KEY)) return askForKey();
  try {
    await load();
  } catch (err) {
    if (!(err instanceof Unauthorized)) throw err;
    sessionStorage.removeItem(KEY);
    askForKey(err.message);
  }
}

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  sessionStorage.setItem(KEY, $('key').value.trim());
  start();
});
$('forget').addEventListener('click', () => {
  sessionStorage.removeItem(KEY);
  location.reload();
});
start().catch((err) => {
  $('status').textContent = `error: ${err.message}`;
});
