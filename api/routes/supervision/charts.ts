import { esc } from '../audit/html.js';

/**
 * A small server-side SVG chart renderer for the supervisor dashboard: a heatmap (on-time rate per
 * agency and week) and stacked bars (breaches per week and process, clocks due per day). Inline SVG,
 * no script, no style element: it renders under the pages' CSP (`default-src 'none'`), without a
 * DOM on the server and without a build step. Every mark carries its numbers as `data-*`
 * attributes and a `<title>` (the browser's tooltip), every number shown is a `<text>` element.
 */

type Data = Record<string, string | number>;
const dataAttrs = (data: Data = {}) => Object.entries(data).map(([k, v]) => ` data-${k}="${esc(v)}"`).join('');
const px = (n: number) => Math.round(n * 10) / 10;

/** Colour-blind-safe categorical palette (Okabe–Ito). */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
export const seriesColour = (i: number) => PALETTE[i % PALETTE.length] as string;

/** On-time bands: ≥ 95 % green … < 60 % red (the text turns white on the dark ends). */
function rateColour(rate: number): { fill: string; text: string } {
  if (rate >= 0.95) return { fill: '#1a9850', text: '#fff' };
  if (rate >= 0.9) return { fill: '#91cf60', text: '#000' };
  if (rate >= 0.8) return { fill: '#fee08b', text: '#000' };
  if (rate >= 0.6) return { fill: '#fc8d59', text: '#000' };
  return { fill: '#d73027', text: '#fff' };
}

/** Characters of a row label that fit the label column. */
const LABEL_CHARS = 56;

export interface HeatmapCell {
  /** 0–1; the cell is grey and shows "—" without one. */
  rate: number | null;
  text: string;
  title: string;
  data?: Data;
}

export interface HeatmapInput {
  id: string;
  caption: string;
  columns: string[];
  rows: { label: string; data?: Data; cells: HeatmapCell[] }[];
}

export function heatmap(input: HeatmapInput): string {
  const labelWidth = 380;
  const cellW = 58;
  const cellH = 22;
  const top = 28;
  const width = labelWidth + input.columns.length * cellW + 8;
  const height = top + Math.max(1, input.rows.length) * cellH + 4;
  const header = input.columns.map((c, i) => `<text class="column" x="${labelWidth + i * cellW + cellW / 2}" y="18" text-anchor="middle" font-size="11">${esc(c)}</text>`).join('');
  const rows = input.rows.map((row, r) => {
    const y = top + r * cellH;
    const cells = row.cells.map((cell, c) => {
      const x = labelWidth + c * cellW;
      const colour = cell.rate === null ? { fill: '#eee', text: '#777' } : rateColour(cell.rate);
      return `<g class="cell"${dataAttrs(cell.data)}><title>${esc(cell.title)}</title><rect x="${x + 1}" y="${y + 1}" width="${cellW - 2}" height="${cellH - 2}" fill="${colour.fill}"/>` +
        `<text x="${x + cellW / 2}" y="${y + cellH / 2 + 4}" text-anchor="middle" font-size="11" fill="${colour.text}">${esc(cell.text)}</text></g>`;
    }).join('');
    // Long names are shortened on the chart; the full one is the label's tooltip.
    const label = row.label.length > LABEL_CHARS ? `${row.label.slice(0, LABEL_CHARS - 1)}…` : row.label;
    return `<g class="row"${dataAttrs(row.data)}><text class="label" x="${labelWidth - 6}" y="${y + cellH / 2 + 4}" text-anchor="end" font-size="12"><title>${esc(row.label)}</title>${esc(label)}</text>${cells}</g>`;
  }).join('\n');
  const empty = input.rows.length === 0 ? `<text x="${labelWidth}" y="${top + 15}" font-size="12" fill="#777">Không có dữ liệu / no data</text>` : '';
  return svg(input.id, input.caption, width, height, `${header}\n${rows}${empty}`);
}

export interface StackedBarsInput {
  id: string;
  caption: string;
  /** Category labels (x axis) and their keys (`data-category`). */
  categories: { key: string; label: string }[];
  series: { key: string; label: string; values: number[] }[];
}

/** Round axis steps (1, 2, 5 × 10ⁿ) for a maximum. */
function ticks(max: number): number[] {
  if (max <= 0) return [0, 1];
  const rough = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  const out: number[] = [];
  for (let v = 0; v < max + step; v += step) out.push(Math.max(0, Math.round(v)));
  return [...new Set(out)];
}

export function stackedBars(input: StackedBarsInput): string {
  const left = 48;
  const top = 20;
  const plotH = 200;
  const barSlot = Math.max(44, Math.min(90, 900 / Math.max(1, input.categories.length)));
  const width = left + input.categories.length * barSlot + 16;
  const totals = input.categories.map((_, c) => input.series.reduce((sum, s) => sum + (s.values[c] ?? 0), 0));
  const axis = ticks(Math.max(0, ...totals));
  const max = axis[axis.length - 1] ?? 1;
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const grid = axis.map((v) => `<line x1="${left}" x2="${width - 8}" y1="${px(y(v))}" y2="${px(y(v))}" stroke="#ddd"/><text class="tick" x="${left - 6}" y="${px(y(v)) + 4}" text-anchor="end" font-size="11">${v}</text>`).join('');
  const bars = input.categories.map((category, c) => {
    const x = left + c * barSlot + barSlot * 0.15;
    const w = barSlot * 0.7;
    let base = 0;
    const segments = input.series.map((s, i) => {
      const value = s.values[c] ?? 0;
      if (value === 0) return '';
      const rect = `<rect class="segment" data-series="${esc(s.key)}" data-category="${esc(category.key)}" data-value="${value}" x="${px(x)}" y="${px(y(base + value))}" width="${px(w)}" height="${px(y(base) - y(base + value))}" fill="${seriesColour(i)}"><title>${esc(`${category.label} — ${s.label}: ${value}`)}</title></rect>`;
      base += value;
      return rect;
    }).join('');
    const total = totals[c] ?? 0;
    return `<g class="bar" data-category="${esc(category.key)}" data-total="${total}">${segments}` +
      `<text class="total" x="${px(x + w / 2)}" y="${px(y(total)) - 4}" text-anchor="middle" font-size="11" font-weight="bold">${total}</text>` +
      `<text class="category" x="${px(x + w / 2)}" y="${top + plotH + 16}" text-anchor="middle" font-size="11">${esc(category.label)}</text></g>`;
  }).join('\n');
  const legendTop = top + plotH + 34;
  const legend = input.series.map((s, i) => {
    const lx = left + (i % 2) * 420;
    const ly = legendTop + Math.floor(i / 2) * 18;
    return `<g class="legend" data-series="${esc(s.key)}"><rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${seriesColour(i)}"/><text x="${lx + 18}" y="${ly}" font-size="12">${esc(s.label)}</text></g>`;
  }).join('');
  const height = legendTop + Math.ceil(input.series.length / 2) * 18 + 6;
  return svg(input.id, input.caption, Math.max(width, left + 840), height, `${grid}\n${bars}\n${legend}`);
}

function svg(id: string, caption: string, width: number, height: number, body: string): string {
  return `<svg id="${esc(id)}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${esc(id)}-title" font-family="system-ui, sans-serif">` +
    `<title id="${esc(id)}-title">${esc(caption)}</title>${body}</svg>`;
}
