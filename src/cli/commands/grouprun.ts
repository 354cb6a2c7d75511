/**
 * `islet grouprun [-c N] [-r …] [-w …] <tool> -- <command…>`: the same command
 * in every built version of a tool (`-c N`: the N highest, as ContainNSM's -c
 * limited the count), two at a time, then the results
 * side by side — version, exit status, time, stdout and stderr — and which
 * versions agree (same exit status, stdout and stderr). --json prints the same as data. Exit 0 when every version exited 0.
 */
import { randomBytes } from 'node:crypto';
import { IsletError } from '../../core/islet-error.ts';
import { catalogueDir } from '../../catalogue/paths.ts';
import { boundingCaps, builtVersions, normaliseRef } from '../../catalogue/resolve-image.ts';
import { runContainer, type RunOutcome } from '../../catalogue/run-container.ts';
import { parseRunArgs } from '../../catalogue/run-request.ts';
import { datasetsFor, runSpec } from './run.ts';

export const GROUPRUN_HELP =
  'Run one command in every built version of a tool and compare: ' +
  'islet grouprun [-c N] [-r …] [-w …] <tool> -- <command…> [--json] (-c: only the N highest versions)';

export interface GroupResult {
  version: string;
  image: string;
  exitCode: number;
  seconds: number;
  /** stdout; stderr is kept apart so that interleaving cannot make equal runs differ. */
  output: string;
  stderr: string;
}

export async function grouprunCommand(argv: string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    console.log(`usage: ${GROUPRUN_HELP.slice(GROUPRUN_HELP.indexOf('islet grouprun'))}\n(docs/catalogue.md)`);
    return 0;
  }
  const req = parseRunArgs(argv, datasetsFor(argv), { grouprun: true });
  const { tool, version } = normaliseRef(req.ref);
  if (version !== undefined) throw new IsletError('CATALOGUE_INVALID', `grouprun runs every version: name the tool only (${tool}), not ${req.ref}`);
  const built = (await builtVersions(catalogueDir(), tool)).slice(-(req.count ?? Infinity));
  if (built.length === 0) throw new IsletError('CATALOGUE_NOT_FOUND', `no version of ${tool} is built yet; build them with: islet image build ${tool}`);
  const jobs = 2;
  const results: GroupResult[] = new Array(built.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < built.length) {
      const i = next++;
      const b = built[i]!;
      const spec = { ...runSpec(req, b.image, boundingCaps(b.info), `islet-grouprun-${randomBytes(4).toString('hex')}`), interactive: false, tty: false };
      const out: RunOutcome = await runContainer(spec, { inherit: false, timeoutMs: 3600_000 });
      const seconds = Math.round(out.ms / 100) / 10;
      results[i] = { version: b.recipe.version, image: b.image, exitCode: out.exitCode, seconds, output: out.output, stderr: out.stderr };
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, built.length) }, worker));
  if (req.json) console.log(JSON.stringify({ tool, command: req.command, results }, null, 2));
  else console.log(formatGroup(tool, req.command, results));
  return results.every((r) => r.exitCode === 0) ? 0 : 1;
}

export function formatGroup(tool: string, command: readonly string[], results: readonly GroupResult[]): string {
  const lines = [`${tool}: ${command.join(' ')}`, `${'VERSION'.padEnd(28)} ${'EXIT'.padStart(4)} ${'TIME'.padStart(8)}  SAME AS   FIRST LINE OF OUTPUT`];
  results.forEach((r, i) => {
    const same = results.findIndex((o) => o.exitCode === r.exitCode && o.output === r.output && o.stderr === r.stderr);
    const first = `${r.output}\n${r.stderr}`.split('\n').find((l) => l.trim() !== '') ?? '';
    const time = `${r.seconds.toFixed(1)} s`.padStart(8);
    lines.push(
      `${r.version.padEnd(28)} ${String(r.exitCode).padStart(4)} ${time}  ${(same < i ? results[same]!.version : '-').padEnd(9)} ${first.slice(0, 80)}`,
    );
  });
  for (const r of results) {
    lines.push('', `--- ${tool} ${r.version} (exit ${r.exitCode}, ${r.seconds.toFixed(1)} s) ---`, r.output.replace(/\n$/, ''));
    if (r.stderr !== '') lines.push(`--- stderr ---`, r.stderr.replace(/\n$/, ''));
  }
  return lines.join('\n');
}
