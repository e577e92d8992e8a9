// Chart.js configurations of the dashboard, from the API's JSON bodies. Plain JavaScript so the
// browser loads this very file (GET /dashboard/charts.js) and the server renders the same charts
// to PNG with @napi-rs/canvas (renderChartPng.ts): one definition per chart.

const PALETTE = [
  '#2563eb',
  '#dc2626',
  '#16a34a',
  '#d97706',
  '#7c3aed',
  '#0891b2',
  '#db2777',
  '#65a30d',
  '#ea580c',
  '#475569',
];
const color = (i, alpha = 1) => {
  const hex = PALETTE[i % PALETTE.length];
  const [r, g, b] = [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
};
const title = (text) => ({ title: { display: true, text } });
const pct = (x) => (x == null ? null : Math.round(x * 1000) / 10);

/** Conversions credited to each channel, one bar per model side by side. Body of GET /v1/reports/attribution. */
export function attributionChart(report, measure = 'conversions') {
  const channels = [...new Set(report.models.flatMap((m) => m.channels.map((c) => c.channel)))];
  return {
    type: 'bar',
    data: {
      labels: channels,
      datasets: report.models.map((m, i) => {
        const by = new Map(m.channels.map((c) => [c.channel, c[measure]]));
        return { label: m.model, data: channels.map((c) => by.get(c) ?? 0), backgroundColor: color(i) };
      }),
    },
    options: {
      plugins: title(`Attribution by model (${measure}), ${report.from.slice(0, 10)} – ${report.to.slice(0, 10)}`),
      scales: { y: { beginAtZero: true } },
    },
  };
}

/** Open, click and click-to-open rates (%) and revenue per email by group. Body of GET /v1/reports/kpis. */
export function kpiChart(kpis) {
  const items = kpis.items.slice(0, 20);
  const rates = [
    ['open rate %', 'openRate'],
    ['click rate %', 'clickRate'],
    ['click-to-open %', 'clickToOpen'],
  ];
  return {
    type: 'bar',
    data: {
      labels: items.map((r) => r.key),
      datasets: [
        ...rates.map(([label, key], i) => ({
          label,
          data: items.map((r) => pct(r[key])),
          backgroundColor: color(i),
          yAxisID: 'y',
        })),
        {
          type: 'line',
          label: 'revenue per email',
          data: items.map((r) => r.revenuePerEmail),
          borderColor: color(3),
          backgroundColor: color(3),
          yAxisID: 'money',
        },
      ],
    },
    options: {
      plugins: title(`Email KPIs by ${kpis.by}`),
      scales: {
        y: { beginAtZero: true, title: { display: true, text: '%' } },
        money: {
          position: 'right',
          beginAtZero: true,
          grid: { drawOnChartArea: false },
          title: { display: true, text: 'revenue / email' },
        },
      },
    },
  };
}

/** A/B: variants' rates and revenue per email, with the holdout-free comparison. Body of GET /v1/reports/kpis?by=variant. */
export function abChart(kpis) {
  const chart = kpiChart(kpis);
  chart.options.plugins = title('A/B results by variant');
  return chart;
}

/**
 * Attributed vs incremental revenue per recipient for flows with a holdout group, the incremental
 * one with its 95% interval as a floating bar. Body of GET /v1/reports/kpis?by=flow.
 */
export function holdoutChart(kpis) {
  const flows = kpis.items.filter((r) => r.holdout);
  return {
    type: 'bar',
    data: {
      labels: flows.map((r) => `${r.key} (${r.holdout.recipients} vs ${r.holdout.holdout} held out)`),
      datasets: [
        {
          label: 'attributed / recipient',
          data: flows.map((r) => r.holdout.attributedPerRecipient),
          backgroundColor: color(0),
        },
        {
          label: 'incremental / recipient',
          data: flows.map((r) => r.holdout.incrementalPerRecipient),
          backgroundColor: color(2),
        },
        {
          label: 'incremental, 95% interval',
          data: flows.map((r) => r.holdout.ci95),
          backgroundColor: color(2, 0.25),
          borderColor: color(2),
          borderWidth: 1,
        },
      ],
    },
    options: {
      plugins: title('Flows: attributed vs incremental revenue per recipient (holdout)'),
      scales: { y: { title: { display: true, text: 'revenue per recipient' } } },
    },
  };
}

/** Segment sizes per day. `segmentSizes` of GET /v1/reports/dashboard. */
export function segmentSizesChart(segmentSizes) {
  const days = [...new Set(segmentSizes.flatMap((s) => s.points.map((p) => p.day)))].sort();
  return {
    type: 'line',
    data: {
      labels: days,
      datasets: segmentSizes.map((s, i) => {
        const by = new Map(s.points.map((p) => [p.day, p.size]));
        return {
          label: s.name,
          data: days.map((d) => by.get(d) ?? null),
          borderColor: color(i),
          backgroundColor: color(i, 0.3),
          spanGaps: true,
        };
      }),
    },
    options: { plugins: title('Segment sizes over time'), scales: { y: { beginAtZero: true } } },
  };
}

/** Lifecycle: customers per stage, and the moves between stages. `lifecycle` of GET /v1/reports/dashboard. */
export function lifecycleChart(lifecycle) {
  const moves = [...lifecycle.moves].sort((a, b) => b.count - a.count).slice(0, 15);
  return {
    type: 'bar',
    data: {
      labels: [...lifecycle.stages.map((s) => s.stage), ...moves.map((m) => `${m.from} → ${m.to}`)],
      datasets: [
        {
          label: 'customers in stage',
          data: [...lifecycle.stages.map((s) => s.customers), ...moves.map(() => null)],
          backgroundColor: color(0),
        },
        {
          label: 'moves',
          data: [...lifecycle.stages.map(() => null), ...moves.map((m) => m.count)],
          backgroundColor: color(2),
        },
      ],
    },
    options: { indexAxis: 'y', plugins: title('Lifecycle: stages and moves'), scales: { x: { beginAtZero: true } } },
  };
}

const integerTicks = (n) => Array.from({ length: n }, (_, value) => ({ value }));

/** Best send hour × confidence band as a heatmap of squares. `sendHours` of GET /v1/reports/dashboard. */
export function sendHourChart(sendHours) {
  const max = Math.max(1, ...sendHours.counts.flat());
  const points = sendHours.counts.flatMap((row, band) => row.map((count, hour) => ({ x: hour, y: band, count })));
  return {
    type: 'scatter',
    data: {
      datasets: [
        {
          label: 'customers',
          data: points,
          pointStyle: 'rect',
          pointRadius: 11,
          pointHoverRadius: 12,
          backgroundColor: points.map((p) => color(0, 0.05 + 0.95 * (p.count / max))),
          borderWidth: 0,
        },
      ],
    },
    options: {
      plugins: { ...title('Best send hour (customers, by confidence)'), legend: { display: false } },
      scales: {
        // The ±0.5 margins keep the edge squares whole; the ticks stay on the whole hours and bands.
        x: {
          min: -0.5,
          max: 23.5,
          afterBuildTicks: (axis) => (axis.ticks = integerTicks(24)),
          title: { display: true, text: 'hour of day (local)' },
        },
        y: {
          min: -0.5,
          max: sendHours.bands.length - 0.5,
          afterBuildTicks: (axis) => (axis.ticks = integerTicks(sendHours.bands.length)),
          ticks: { callback: (v) => sendHours.bands[v] ?? '' },
        },
      },
    },
  };
}

/** Headline metrics of each model version. Body of GET /v1/models. */
export function modelMetricsChart(models) {
  const versions = models.items.slice(0, 12);
  const metrics = [...new Set(versions.flatMap((v) => Object.keys(v.metrics)))]
    .filter((k) => /auc|gini|spearman|hit|corr|capture/i.test(k) && !/baseline/i.test(k))
    .slice(0, 6);
  return {
    type: 'bar',
    data: {
      labels: versions.map((v) => `${v.name} ${v.version}${v.status === 'active' ? ' (active)' : ''}`),
      datasets: metrics.map((m, i) => ({
        label: m,
        data: versions.map((v) => v.metrics[m] ?? null),
        backgroundColor: color(i),
      })),
    },
    options: { plugins: title('Model metrics (test split)'), scales: { y: { beginAtZero: true, max: 1 } } },
  };
}

/** Predicted vs observed rate per calibration bin. Body of GET /v1/models/:name/:version. */
export function calibrationChart(model) {
  const table = model.calibration?.table ?? [];
  return {
    type: 'scatter',
    data: {
      datasets: [
        {
          label: `${model.name} ${model.version}`,
          data: table.map((b) => ({ x: b.meanPredicted, y: b.observedRate })),
          showLine: true,
          borderColor: color(1),
          backgroundColor: color(1),
        },
        {
          label: 'perfect calibration',
          data: [
            { x: 0, y: 0 },
            { x: 1, y: 1 },
          ],
          showLine: true,
          borderDash: [4, 4],
          borderColor: color(9),
          pointRadius: 0,
        },
      ],
    },
    options: {
      plugins: title('Calibration'),
      scales: {
        x: { min: 0, max: 1, title: { display: true, text: 'predicted' } },
        y: { min: 0, max: 1, title: { display: true, text: 'observed' } },
      },
    },
  };
}

/**
 * Tracking volume per source and event type, the rows with a flagged drop first (at most eight
 * lines); a flagged day is drawn as a large red point. Body of GET /v1/reports/tracking.
 */
export function trackingChart(report) {
  const rows = [...report.rows]
    .filter((r) => r.events > 0 || r.drops.length)
    .sort((a, b) => b.drops.length - a.drops.length || b.events - a.events)
    .slice(0, 8);
  const labels = rows[0]?.volume.map((v) => v.at.replace('T', ' ').slice(0, report.by === 'hour' ? 16 : 10)) ?? [];
  return {
    type: 'line',
    data: {
      labels,
      datasets: rows.map((r, i) => {
        const dropped = new Set(r.drops.map((d) => d.day));
        const flagged = r.volume.map((v) => report.by === 'day' && dropped.has(v.at));
        return {
          label: `${r.source}/${r.type}${r.drops.length ? ' ⚠ drop' : ''}`,
          data: r.volume.map((v) => v.events),
          borderColor: color(i),
          backgroundColor: color(i, 0.3),
          pointRadius: flagged.map((f) => (f ? 7 : 2)),
          pointBackgroundColor: flagged.map((f) => (f ? '#dc2626' : color(i))),
        };
      }),
    },
    options: {
      plugins: title(`Tracking volume by source/type, ${report.from} – ${report.to} (red: sudden drop)`),
      scales: { y: { beginAtZero: true, title: { display: true, text: 'events' } } },
    },
  };
}
