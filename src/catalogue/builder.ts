/**
 * `islet image build`: turns a recipe into `islet/<tool>:<version>`.
 *
 * A yaml recipe runs in a throw-away container of its suite's base image (as
 * root, with the network, only at build time): apt installs the exact package
 * versions, setcap gives capture tools their file capabilities, every
 * setuid/setgid bit is removed again, and the container is committed with the
 * catalogue labels and the unprivileged user. apt's lists and .debs live in
 * host directories mounted into the build (never committed), so a rebuild
 * downloads nothing; builds of one suite take turns on them (flock).
 * An image whose org.islet.recipe label matches the recipe is not rebuilt.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { IsletError } from '../core/islet-error.ts';
import {
  CONTAINNSM_ORG,
  LABEL_BUILD,
  LABEL_CONTAINNSM_ORG,
  LABEL_CONTAINNSM_PROGRAM,
  LABEL_FILE_CAPS,
  LABEL_PROGRAM,
  LABEL_RECIPE,
  LABEL_SUITE,
  LABEL_VERSION,
} from '../runtime/names.ts';
import { bootstrap, IMAGE_USER } from './bootstrap.ts';
import { withDirLock } from './dir-lock.ts';
import { docker, dockerOk, inspectImages, runProgram, tail } from './docker-cli.ts';
import type { CachePaths } from './paths.ts';
import { baseImageName, imageName, type Recipe } from './recipe.ts';

export interface BuildOptions {
  readonly cache: CachePaths;
  readonly force?: boolean;
  readonly log: (line: string) => void;
}

export interface BuildResult {
  readonly image: string;
  readonly action: 'up-to-date' | 'built';
  readonly seconds: number;
}

export function imageLabels(r: Recipe): Record<string, string> {
  const caps = Object.entries(r.spec?.capabilities ?? {})
    .map(([p, c]) => `${p}=${c}`)
    .join(';');
  return {
    [LABEL_PROGRAM]: r.tool,
    [LABEL_VERSION]: r.version,
    [LABEL_CONTAINNSM_PROGRAM]: r.tool,
    [LABEL_CONTAINNSM_ORG]: CONTAINNSM_ORG,
    [LABEL_RECIPE]: r.hash,
    [LABEL_SUITE]: r.suite,
    ...(caps ? { [LABEL_FILE_CAPS]: caps } : {}),
  };
}

export async function isBuilt(r: Recipe): Promise<boolean> {
  const have = (await inspectImages([imageName(r.tool, r.version)])).get(imageName(r.tool, r.version));
  return have?.labels[LABEL_RECIPE] === r.hash;
}

export async function buildRecipe(r: Recipe, opts: BuildOptions): Promise<BuildResult> {
  const started = Date.now();
  const image = imageName(r.tool, r.version);
  const log = (l: string): void => opts.log(`[${r.tool}/${r.version}] ${l}`);
  if (!opts.force && (await isBuilt(r))) {
    log(`${image} is up to date`);
    return { image, action: 'up-to-date', seconds: 0 };
  }
  await bootstrap({ suite: r.suite, cache: opts.cache, log });
  const built = await withDirLock(
    opts.cache.processLock(`build-${r.tool}-${r.version}`),
    async () => {
      // Another process may have built it while this one waited.
      if (!opts.force && (await isBuilt(r))) return false;
      if (r.kind === 'dockerfile') await buildDockerfile(r, image, log);
      else await buildYaml(r, image, opts.cache, log);
      return true;
    },
    { onWait: () => log('waiting for another build of the same image') },
  );
  if (!built) {
    log(`${image} is up to date`);
    return { image, action: 'up-to-date', seconds: 0 };
  }
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  log(`built ${image} in ${seconds} s`);
  return { image, action: 'built', seconds };
}

async function buildDockerfile(r: Recipe, image: string, log: (l: string) => void): Promise<void> {
  const labels = Object.entries(imageLabels(r)).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  await dockerOk(['build', '--pull=false', '-t', image, ...labels, r.dir], { timeoutMs: 60 * 60_000, onLine: log }, `docker build of ${r.tool}/${r.version}`);
}

async function buildYaml(r: Recipe, image: string, cache: CachePaths, log: (l: string) => void): Promise<void> {
  const spec = r.spec!;
  const name = `islet-build-${r.tool}-${r.version.replace(/[^A-Za-z0-9_.-]/g, '_')}-${randomBytes(3).toString('hex')}`;
  const lists = cache.aptLists(r.suite);
  const archives = cache.aptArchives(r.suite);
  const lock = cache.lock(r.suite);
  for (const d of [lists, archives, dirname(lock)]) mkdirSync(d, { recursive: true });
  const pkgs = spec.packages.join(' ');
  const setcaps = Object.entries(spec.capabilities)
    .map(([p, c]) => `f=$(command -v ${p}) && setcap ${c} "$f" && getcap "$f"`)
    .join(' && ');
  const install = [
    'set -e',
    'export DEBIAN_FRONTEND=noninteractive',
    'apt-get update -q',
    `apt-get install -y -q --no-install-recommends ${pkgs}`,
    setcaps || 'true',
    // Anything the packages brought that is setuid/setgid loses the bit: capture rights come from file capabilities.
    'find / -xdev -type f -perm /6000 -exec chmod ug-s {} +',
    'rm -f /var/cache/apt/*.bin',
  ].join('\n');
  await dockerOk(
    [
      'run',
      '-d',
      '--name',
      name,
      '--label',
      `${LABEL_BUILD}=1`,
      '--user',
      'root',
      '--network',
      'bridge',
      '-v',
      `${lists}:/var/lib/apt/lists`,
      '-v',
      `${archives}:/var/cache/apt/archives`,
      baseImageName(r.suite),
      'sleep',
      '7200',
    ],
    { timeoutMs: 120_000 },
    `starting the build container of ${r.tool}/${r.version}`,
  );
  try {
    log(`apt-get install ${pkgs} (suite ${r.suite})`);
    // flock: the mounted apt directories are shared by every build of this suite, in this process or another.
    const res = await runProgram('flock', [lock, 'docker', 'exec', name, 'sh', '-c', install], { timeoutMs: 60 * 60_000, onLine: log });
    if (res.code !== 0)
      throw new IsletError(
        'CATALOGUE_BUILD_FAILED',
        `building ${r.tool}/${r.version} failed.`,
        `apt/setcap in the build container exited ${res.code}: ${tail(res.stderr || res.stdout)}`,
        { tool: r.tool, version: r.version },
      );
    await dockerOk(['stop', '-t', '1', name], { timeoutMs: 60_000 }, 'stopping the build container');
    const labels = Object.entries(imageLabels(r))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(' ');
    const changes = [`USER ${IMAGE_USER}`, `WORKDIR /home/${IMAGE_USER}`, 'CMD ["/bin/bash"]', `LABEL ${labels}`].flatMap((c) => ['--change', c]);
    await dockerOk(['commit', ...changes, name, image], { timeoutMs: 10 * 60_000 }, `committing ${image}`);
  } finally {
    await docker(['rm', '-f', '-v', name], { timeoutMs: 60_000 });
  }
}

/** Builds several recipes, `jobs` at a time; one failure does not stop the others. */
export async function buildMany(
  recipes: readonly Recipe[],
  jobs: number,
  opts: BuildOptions,
): Promise<{ recipe: Recipe; result?: BuildResult; error?: IsletError }[]> {
  const out: { recipe: Recipe; result?: BuildResult; error?: IsletError }[] = [];
  // Base images first, one per suite, so parallel builds do not bootstrap the same suite twice.
  for (const suite of [...new Set(recipes.map((r) => r.suite))]) await bootstrap({ suite, cache: opts.cache, log: opts.log });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < recipes.length) {
      const recipe = recipes[next++]!;
      try {
        out.push({ recipe, result: await buildRecipe(recipe, opts) });
      } catch (err) {
        const e = err instanceof IsletError ? err : new IsletError('CATALOGUE_BUILD_FAILED', String(err), String(err));
        opts.log(`[${recipe.tool}/${recipe.version}] FAILED: ${e.message}`);
        out.push({ recipe, error: e });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  return out;
}
