/**
 * Render the ISLET-vs-peer evaluation charts (mirroring the paper's figures)
 * from the newest result file of each benchmark kind.
 *
 *   node bench/charts.ts [resultsDir]      (default bench/results)
 *
 * Reads <resultsDir>/<YYYY-MM-DD>-<name>.json, writes <resultsDir>/charts/<chart>.svg
 * and prints each path. A missing or unchartable input skips its chart with
 * a message instead of failing, because benchmarks are run one at a time and
 * a partial set of charts is still useful.
 *
 * Rendering is headless: Vega's 'none' renderer builds the scenegraph and
 * toSVG() serialises it, so no canvas or browser is needed.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { cutoffSpec, densitySpec, echoUnderLoadSpec, loginStormSpec, throughputSpec, timeToShellSpec } from './lib/chart-specs.ts';

interface ChartDef {
  chart: string;
  kind: string;
  // Input is parsed JSON from another script; the builders guard every field themselves.
  build: (result: never) => TopLevelSpec | null;
}

const CHARTS: ChartDef[] = [
  { chart: 'time-to-shell', kind: 'login-latency', build: timeToShellSpec },
  { chart: 'login-storm', kind: 'login-storm', build: loginStormSpec },
  { chart: 'cutoff', kind: 'workload', build: cutoffSpec },
  { chart: 'echo-under-load', kind: 'workload', build: echoUnderLoadSpec },
  { chart: 'density', kind: 'density', build: densitySpec },
  { chart: 'throughput', kind: 'throughput', build: throughputSpec },
];

const RESULT_FILE = /^(\d{4}-\d{2}-\d{2})-(.+)\.json$/;

/** Newest file per benchmark name; ISO dates sort lexicographically, so string comparison suffices. */
export function newestResults(resultsDir: string): Map<string, string> {
  const newest = new Map<string, { date: string; file: string }>();
  let entries: string[];
  try {
    entries = readdirSync(resultsDir);
  } catch {
    return new Map();
  }
  for (const file of entries.sort()) {
    const m = RESULT_FILE.exec(file);
    if (!m) continue;
    const [, date = '', name = ''] = m;
    const seen = newest.get(name);
    if (!seen || date >= seen.date) newest.set(name, { date, file: join(resultsDir, file) });
  }
  return new Map([...newest].map(([name, { file }]) => [name, file]));
}

/** Compile Vega-Lite → Vega and serialise headlessly; finalize() releases the view's timers. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Renders every chart whose input exists; returns the SVG paths written. Skip notes go to stderr so stdout stays a list of paths. */
export async function renderCharts(resultsDir: string, log: (msg: string) => void = console.warn): Promise<string[]> {
  const inputs = newestResults(resultsDir);
  const outDir = join(resultsDir, 'charts');
  const written: string[] = [];
  const parsed = new Map<string, unknown>();
  for (const { chart, kind, build } of CHARTS) {
    const file = inputs.get(kind);
    if (!file) {
      log(`skip ${chart}: no *-${kind}.json in ${resultsDir}`);
      continue;
    }
    if (!parsed.has(file)) {
      try {
        parsed.set(file, readJson(file));
      } catch (err) {
        log(`skip ${chart}: cannot read ${file}: ${(err as Error).message}`);
        parsed.set(file, null);
      }
    }
    const result = parsed.get(file);
    if (result === null || typeof result !== 'object') continue;
    const spec = build(result as never);
    if (!spec) {
      log(`skip ${chart}: nothing chartable in ${file} (older format or empty)`);
      continue;
    }
    mkdirSync(outDir, { recursive: true });
    const out = join(outDir, `${chart}.svg`);
    writeFileSync(out, await renderSvg(spec));
    written.push(out);
  }
  return written;
}

if (import.meta.main) {
  const dir = resolve(process.argv[2] ?? join(import.meta.dirname, 'results'));
  for (const file of await renderCharts(dir)) console.log(file);
}
