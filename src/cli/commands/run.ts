/**
 * `islet run [-r …] [-w …] [-i] [-u <user>] [-C <dir>] <tool>[:<version>] -- <command…>`:
 * ContainNSM's `run`, one container of a catalogue image with read-only
 * inputs and write-back directories, hardened like a trainee's container
 * (src/catalogue/run-options.ts). Exit status: the command's.
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { IsletError } from '../../core/islet-error.ts';
import { ConfigSource } from '../../config/config-source.ts';
import { IMAGE_UID } from '../../catalogue/bootstrap.ts';
import { datasetsDir } from '../../catalogue/paths.ts';
import { catalogueDir } from '../../catalogue/paths.ts';
import { boundingCaps, resolveBuilt } from '../../catalogue/resolve-image.ts';
import { runContainer } from '../../catalogue/run-container.ts';
import { parseRunArgs, type RunRequest } from '../../catalogue/run-request.ts';
import type { RunSpec } from '../../catalogue/run-options.ts';
import { optionValue } from '../options.ts';
import { LABEL_RUN } from '../../runtime/names.ts';
import { testRunLabels } from '../../compose.ts';

export const RUN_HELP =
  'Run a command in one catalogue image: islet run [-r <path|dataset>[,…|<src>:<dst>]] [-w <dir>] [-i] [-u <user>] [-C <dir>] <tool>[:<version>] -- <command…>';

export async function runCommand(argv: string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    console.log(`usage: ${RUN_HELP.slice(RUN_HELP.indexOf('islet run'))}\n(docs/catalogue.md)`);
    return 0;
  }
  const req = parseRunArgs(argv, datasetsFor(argv), { grouprun: false });
  const built = await resolveBuilt(catalogueDir(), req.ref);
  const spec = runSpec(req, built.image, boundingCaps(built.info), `islet-run-${randomBytes(4).toString('hex')}`);
  process.stderr.write(
    `image ${built.image}${req.readOnly.map((m) => `  ro ${m.source}:${m.target}`).join('')}${req.writable.map((m) => `  rw ${m.source}:${m.target}`).join('')}${req.workdir ? `  cwd ${req.workdir}` : ''}${req.hostNetwork ? '  host network' : ''}\n`,
  );
  const out = await runContainer(spec, { inherit: true, timeoutMs: 24 * 3600_000 });
  return out.exitCode;
}

/** `--data` before `--` (the datasets directory lives in the data directory). */
export function datasetsFor(argv: readonly string[]): string {
  const dash = argv.indexOf('--');
  const head = dash < 0 ? argv : argv.slice(0, dash);
  const i = head.indexOf('--data');
  return datasetsDir(optionValue('data', { data: i >= 0 ? head[i + 1] : undefined }));
}

export function runSpec(req: RunRequest, image: string, caps: string[], name: string): RunSpec {
  if (req.hostNetwork) requireHostCapture(req.config);
  if (req.user === undefined) for (const m of req.writable) writableByImageUser(m.source);
  return {
    // islet.test=<run> under ISLET_TEST_RUN, as `islet serve` does, so the test suite can sweep what it made.
    name,
    image,
    command: req.command,
    readOnly: req.readOnly,
    writable: req.writable,
    labels: { [LABEL_RUN]: '1', ...testRunLabels() },
    capAdd: caps,
    interactive: process.stdin.isTTY === true,
    tty: process.stdin.isTTY === true && process.stdout.isTTY === true,
    ...(req.workdir !== undefined ? { workdir: req.workdir } : {}),
    ...(req.user !== undefined ? { user: req.user } : {}),
    // Sniffing the host's interfaces needs the file capabilities to take effect (docs/catalogue.md).
    ...(req.hostNetwork ? { network: 'host', noNewPrivileges: false } : {}),
  };
}

/** The images run as uid 1000: a write-back directory it cannot write to would fail late and obscurely. */
function writableByImageUser(path: string): void {
  const st = statSync(path);
  const ok = (st.uid === IMAGE_UID && (st.mode & 0o200) !== 0) || (st.gid === IMAGE_UID && (st.mode & 0o020) !== 0) || (st.mode & 0o002) !== 0;
  if (!ok)
    throw new IsletError(
      'CATALOGUE_INVALID',
      `-w: ${path} is not writable by the images' user (uid ${IMAGE_UID}); chown ${IMAGE_UID} ${path}, or choose the user with -u`,
    );
}

/** -i shares the host's network: only when the trainer's config (islet.yaml `host_capture: true`) allows it. */
function requireHostCapture(configDir: string | undefined): void {
  const cfg = new ConfigSource(optionValue('config', { config: configDir })).current();
  if (!(cfg.global as { host_capture?: boolean }).host_capture) {
    throw new IsletError('CATALOGUE_INVALID', "-i (capture on the host's interfaces) is off: set `host_capture: true` in islet.yaml to allow it");
  }
}
