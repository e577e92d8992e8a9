// What the notebooks show: tables as HTML and Chart.js charts as PNG, through tslab's display API.
import { createCanvas } from '@napi-rs/canvas';
import { Chart, registerables, type ChartConfiguration, type Plugin } from 'chart.js';
import { display } from 'tslab';

Chart.register(...registerables);

export type Row = Record<string, string | number | null | undefined>;

const escapeHtml = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function formatCell(v: Row[string], digits: number): string {
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return '–';
  if (typeof v === 'string') return escapeHtml(v);
  return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(digits);
}

/** An HTML table of rows (columns from the first row); numbers right-aligned with `digits` decimals. */
export function tableHtml(rows: readonly Row[], opts: { digits?: number; caption?: string } = {}): string {
  const digits = opts.digits ?? 3;
  const columns = Object.keys(rows[0] ?? {});
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = rows
    .map(
      (row) =>
        `<tr>${columns.map((c) => `<td style="text-align:${typeof row[c] === 'number' ? 'right' : 'left'}">${formatCell(row[c], digits)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const caption = opts.caption ? `<caption>${escapeHtml(opts.caption)}</caption>` : '';
  return `<table>${caption}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export function showTable(rows: readonly Row[], opts: { digits?: number; caption?: string } = {}): void {
  display.html(tableHtml(rows, opts));
}

/** Chart.js clears the canvas before drawing, so a background must be painted on each draw (else it is transparent: unreadable in a dark theme). */
const whiteBackground: Plugin = {
  id: 'whiteBackground',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.fillStyle = 'white';
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

/** Renders a Chart.js configuration on a server-side canvas (no animation, white background) to PNG. */
export function chartPng(
  config: ChartConfiguration,
  size: { width: number; height: number } = { width: 720, height: 360 },
): Buffer {
  const canvas = createCanvas(size.width, size.height);
  // Chart.js draws on any 2D context with the DOM's shape; @napi-rs/canvas provides that shape, not the DOM type.
  const chart = new Chart(canvas.getContext('2d') as unknown as ConstructorParameters<typeof Chart>[0], {
    ...config,
    options: { ...config.options, responsive: false, animation: false, devicePixelRatio: 1 },
    plugins: [...(config.plugins ?? []), whiteBackground],
  });
  try {
    return canvas.toBuffer('image/png');
  } finally {
    chart.destroy();
  }
}

export function showChart(config: ChartConfiguration, size?: { width: number; height: number }): void {
  display.png(chartPng(config, size));
}
