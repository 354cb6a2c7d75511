/**
 * How long the catalogue takes to build on this machine (docs/catalogue.md), with the `islet image` commands a
 * trainer runs: a Debian base bootstrapped with an empty cache (debootstrap's download and unpacking, the
 * hardening, `docker import`), again with its downloaded packages cached (`--force`: unpacking and import), and when
 * up to date; then one tool recipe built from that base with no cached packages (apt-get from the mirror in a
 * throw-away container, setcap, commit), again with them cached (`--force`), and when up to date.
 *
 * ISLET_CATALOGUE_CACHE points at a temporary directory, so the shared cache is neither used nor touched. The base
 * and tool images are replaced by equal ones (the same recipe labels), so every later build still finds them up to
 * date. Each step records ISLET's own figure (the seconds its output line gives) and the command's wall time.
 *
 * Writes bench/results/<date>-catalogue-build.json.
 * Usage: node bench/catalogue-build.ts [--suite bookworm] [--tool tcpdump/4.99.3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { islet } from '../test/helpers/islet-cli.ts';
import { round1, writeResult } from './lib/results.ts';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
};
const SUITE = arg('suite', 'bookworm');
const TOOL = arg('tool', 'tcpdump/4.99.3');

interface Step {
  readonly step: string;
  readonly command: string;
  /** What ISLET did: bootstrapped, imported-from-cache, built, up-to-date. */
  readonly action: string;
  /** The seconds ISLET's own output line gives. */
  readonly islet_s: number;
  readonly wall_s: number;
}

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const dir = mkdtempSync(join(tmpdir(), 'islet-bench-catalogue-'));
  const env = { ISLET_DATA: join(dir, 'data'), ISLET_CATALOGUE_CACHE: join(dir, 'cache') };
  const steps: Step[] = [];
  const run = async (step: string, args: string[], line: RegExp): Promise<void> => {
    const r = await islet(args, env, 40 * 60_000);
    if (r.code !== 0) throw new Error(`islet ${args.join(' ')} failed (${r.code}): ${r.err.slice(-2000)}`);
    const m = line.exec(r.out);
    if (!m) throw new Error(`islet ${args.join(' ')}: no result line in ${JSON.stringify(r.out.slice(-500))}`);
    const s: Step = { step, command: `islet ${args.join(' ')}`, action: m[1]!, islet_s: Number(m[2]), wall_s: round1(r.ms / 1000) };
    steps.push(s);
    console.log(JSON.stringify(s));
  };
  try {
    const base = new RegExp(`islet/base:${SUITE}\\s+(\\S+)\\s+([\\d.]+) s`);
    await run('base, empty cache', ['image', 'bootstrap', '--suite', SUITE, '--force'], base);
    await run('base, packages cached', ['image', 'bootstrap', '--suite', SUITE, '--force'], base);
    await run('base, up to date', ['image', 'bootstrap', '--suite', SUITE], base);
    const tool = new RegExp(`${TOOL.replace(/[.+]/g, '\\$&')}\\s+(\\S+) ([\\d.]+) s`);
    await run('tool, no packages cached', ['image', 'build', TOOL, '--force'], tool);
    await run('tool, packages cached', ['image', 'build', TOOL, '--force'], tool);
    await run('tool, up to date', ['image', 'build', TOOL], tool);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  writeResult('catalogue-build', { benchmark: 'catalogue-build', date, method: { suite: SUITE, tool: TOOL }, steps });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
