import { createCanvas } from '@napi-rs/canvas';
import { Chart, registerables, type ChartConfiguration } from 'chart.js';

Chart.register(...registerables);

export interface PngOptions {
  width?: number;
  height?: number;
}

/**
 * Renders a Chart.js configuration (the dashboard's own, from chartConfigs.js) to a
 * PNG on a server-side canvas: no browser, no animation, a white background like the page's.
 */
export function renderChartPng(config: ChartConfiguration, { width = 1000, height = 560 }: PngOptions = {}): Buffer {
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  const chart = new Chart(
    ctx as unknown as CanvasRenderingContext2D,
    {
      ...config,
      options: { ...config.options, responsive: false, animation: false, devicePixelRatio: 1 },
    } as ChartConfiguration,
  );
  try {
    return canvas.toBuffer('image/png');
  } finally {
    chart.destroy();
  }
}
