/**
 * Shared look and small data helpers for the benchmark charts, kept apart
 * from chart-specs.ts so the per-chart builders stay readable.
 */
import type { TopLevelSpec } from 'vega-lite';

/** One layer of a layered spec; vega-lite only exports the top-level type, so derive it. */
export type Layer = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];

/** A legend entry whose colour and dash are chosen by us rather than by a scheme. */
export interface Series {
  label: string;
  color: string;
  dash: number[];
}

/**
 * Fixed colours so "islet" reads the same in every chart (and in the paper
 * comparison): blue for ours, orange for the OpenSSH+bash+docker peer, grey for
 * the bare engine floor, which is a reference line rather than a contender.
 */
const COLORS: Record<string, string> = { islet: '#1f6fb4', peer: '#e8762b', engine: '#8c8c8c' };
const OTHER = '#54a24b';
const ORDER = Object.keys(COLORS);

export function targetColor(target: string): string {
  return COLORS[target] ?? OTHER;
}

/** Known targets first, in a stable order, so bars and legends line up across charts. */
export function targetsIn(values: string[]): string[] {
  const seen = [...new Set(values)];
  return [...ORDER.filter((t) => seen.includes(t)), ...seen.filter((t) => !ORDER.includes(t)).sort()];
}

export function colorScale(pairs: [string, string][]): { domain: string[]; range: string[] } {
  return { domain: pairs.map(([d]) => d), range: pairs.map(([, c]) => c) };
}

export function dashScale(series: Series[]): { domain: string[]; range: number[][] } {
  return { domain: series.map((s) => s.label), range: series.map((s) => s.dash) };
}

/** Finite numbers only: result files come from other scripts and may hold nulls or strings. */
export function nums(v: unknown): number[] {
  return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)) : [];
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Empirical CDF as step points starting at (0, 0), with y as a fraction of
 * `total` (not of the sample count) so missing samples show as a gap below 1.
 */
export function ecdf(values: number[], total: number): { x: number; y: number }[] {
  const sorted = [...values].sort((a, b) => a - b);
  return [{ x: 0, y: 0 }, ...sorted.map((x, i) => ({ x, y: (i + 1) / total }))];
}

export function subtitle(date: string | undefined, text: string): string {
  const when = date && !Number.isNaN(Date.parse(date)) ? new Date(date).toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : undefined;
  return when ? `${text} — run ${when}` : text;
}

/**
 * Dashed horizontal reference line. The label sits at the left edge because
 * the curves here start low (few trainees) and climb, so the left end of the
 * rule is where it is least likely to be crossed by data.
 */
export function ruleWithLabel(y: number, label: string): Layer[] {
  const data = { values: [{}] };
  return [
    { data, mark: { type: 'rule', color: '#444', strokeDash: [4, 4] }, encoding: { y: { datum: y, type: 'quantitative' } } },
    {
      data,
      mark: { type: 'text', align: 'left', baseline: 'bottom', dx: 4, dy: -3, color: '#444', fontSize: 11 },
      encoding: { x: { value: 0 }, y: { datum: y, type: 'quantitative' }, text: { value: label } },
    },
  ];
}

/** Common top-level settings; the white background keeps SVGs legible in dark-mode viewers. */
export const BASE = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  background: 'white',
  padding: 12,
  config: {
    font: 'Helvetica, Arial, sans-serif',
    title: { fontSize: 15, subtitleFontSize: 11, subtitleColor: '#555', anchor: 'start' },
    axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#e6e6e6' },
    legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320, titleLimit: 320 },
  },
} as const;
