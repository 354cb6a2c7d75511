/**
 * `islet image bootstrap`: a minimal Debian root filesystem built from the
 * package archive with debootstrap (no image registry involved), made safe
 * for trainees (an unprivileged user `islet`, no passwords, no setuid or
 * setgid files, no sudo) and imported into the engine as `islet/base:<suite>`.
 *
 * Caches, cheapest first: the engine's image (label org.islet.recipe matches:
 * nothing to do), the root filesystem tarball (re-imported, no download), the
 * .debs debootstrap downloaded (--cache-dir: no download, only unpacking).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { IsletError } from '../core/islet-error.ts';
import { CONTAINNSM_ORG, LABEL_CONTAINNSM_ORG, LABEL_RECIPE, LABEL_SUITE } from '../runtime/names.ts';
import { withDirLock } from './dir-lock.ts';
import { dockerOk, inspectImages, runProgram, tail } from './docker-cli.ts';
import { debianMirror } from './mirror.ts';
import type { CachePaths } from './paths.ts';
import { baseImageName, suitePattern } from './recipe.ts';

/** The unprivileged user every catalogue image runs as. */
export const IMAGE_USER = 'islet';
export const IMAGE_UID = 1000;

/** Run inside the new root (chroot) before it is packed. */
const HARDEN = `
set -e
useradd --create-home --uid ${IMAGE_UID} --user-group --shell /bin/bash ${IMAGE_USER}
passwd -l root >/dev/null
passwd -l ${IMAGE_USER} >/dev/null
printf 'APT::Install-Recommends "false";\\nAPT::Install-Suggests "false";\\n' > /etc/apt/apt.conf.d/90islet
rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin
rm -rf /var/lib/apt/lists/* /var/log/*.log /tmp/* /var/tmp/*
find / -xdev -type f -perm /6000 -exec chmod ug-s {} +
`;

export interface BootstrapOptions {
  readonly suite: string;
  readonly cache: CachePaths;
  readonly mirror?: string;
  readonly force?: boolean;
  readonly log: (line: string) => void;
}

export interface BootstrapResult {
  readonly image: string;
  readonly action: 'up-to-date' | 'imported-from-cache' | 'bootstrapped';
  readonly seconds: number;
}

export function bootstrapHash(suite: string, mirror: string): string {
  return createHash('sha256').update(`${suite}\n${mirror}\n${HARDEN}`).digest('hex').slice(0, 32);
}

export async function bootstrap(opts: BootstrapOptions): Promise<BootstrapResult> {
  const started = Date.now();
  const { suite, cache, log } = opts;
  if (!suitePattern.test(suite)) throw new IsletError('CATALOGUE_INVALID', `invalid suite ${JSON.stringify(suite)}`);
  const mirror = opts.mirror ?? debianMirror();
  const image = baseImageName(suite);
  const hash = bootstrapHash(suite, mirror);
  const seconds = (): number => Math.round((Date.now() - started) / 100) / 10;

  const upToDate = async (): Promise<boolean> => {
    const have = (await inspectImages([image])).get(image);
    if (opts.force || have?.labels[LABEL_RECIPE] !== hash) return false;
    log(`${image} is up to date (${have.id.slice(7, 19)})`);
    return true;
  };
  if (await upToDate()) return { image, action: 'up-to-date', seconds: seconds() };
  return withDirLock(
    cache.processLock(`bootstrap-${suite}`),
    async () => {
      // Another process may have finished it while this one waited.
      if (await upToDate()) return { image, action: 'up-to-date' as const, seconds: seconds() };
      const action = await bootstrapLocked(suite, image, hash, mirror, opts);
      return { image, action, seconds: seconds() };
    },
    { onWait: () => log(`waiting for another bootstrap of ${suite}`) },
  );
}

async function bootstrapLocked(
  suite: string,
  image: string,
  hash: string,
  mirror: string,
  opts: BootstrapOptions,
): Promise<'imported-from-cache' | 'bootstrapped'> {
  const { cache, log } = opts;

  const tarball = cache.rootfs(suite);
  const tarHash = `${tarball}.recipe`;
  if (!opts.force && existsSync(tarball) && existsSync(tarHash) && readFileSync(tarHash, 'utf8').trim() === hash) {
    log(`importing the cached root filesystem ${tarball}`);
    await importRootfs(tarball, image, suite, hash);
    return 'imported-from-cache';
  }

  if (!existsSync(`/usr/share/debootstrap/scripts/${suite}`)) {
    throw new IsletError(
      'CATALOGUE_NOT_FOUND',
      `debootstrap does not know the suite ${suite}.`,
      `no /usr/share/debootstrap/scripts/${suite}; is debootstrap installed (scripts/setup.sh)?`,
      { suite },
    );
  }
  const debs = cache.debs(suite);
  mkdirSync(debs, { recursive: true });
  mkdirSync(dirname(tarball), { recursive: true });
  // Beside the cache, not in /tmp: a root filesystem is a few hundred MB and /tmp may be a small tmpfs.
  const work = mkdtempSync(join(dirname(tarball), `.${suite}-`));
  const root = join(work, 'root');
  try {
    log(`debootstrap ${suite} from ${mirror} (downloads cached in ${debs})`);
    const ds = await runProgram('debootstrap', ['--variant=minbase', `--cache-dir=${debs}`, '--include=libcap2-bin', suite, root, mirror], {
      timeoutMs: 30 * 60_000,
      onLine: (l) => log(l),
    });
    if (ds.code !== 0)
      throw new IsletError('CATALOGUE_BUILD_FAILED', `debootstrap ${suite} failed.`, `debootstrap exited ${ds.code}: ${tail(ds.stderr || ds.stdout)}`, {
        suite,
      });
    writeFileSync(join(root, 'etc/apt/sources.list'), `deb ${mirror} ${suite} main\n`);
    log('hardening: unprivileged user, locked passwords, no setuid/setgid files');
    const h = await runProgram('chroot', [root, '/bin/sh', '-c', HARDEN], { timeoutMs: 5 * 60_000, onLine: (l) => log(l) });
    if (h.code !== 0)
      throw new IsletError(
        'CATALOGUE_BUILD_FAILED',
        `hardening the ${suite} root filesystem failed.`,
        `chroot script exited ${h.code}: ${tail(h.stderr || h.stdout)}`,
        { suite },
      );
    log(`packing ${tarball}`);
    const tmpTar = `${tarball}.${process.pid}.part`;
    const t = await runProgram('tar', ['--numeric-owner', '--xattrs', '--xattrs-include=*', '-C', root, '-cf', tmpTar, '.'], { timeoutMs: 10 * 60_000 });
    if (t.code !== 0)
      throw new IsletError('CATALOGUE_BUILD_FAILED', 'packing the root filesystem failed.', `tar exited ${t.code}: ${tail(t.stderr)}`, { suite });
    renameSync(tmpTar, tarball);
    writeFileSync(tarHash, `${hash}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  log(`importing into the engine as ${image}`);
  await importRootfs(tarball, image, suite, hash);
  return 'bootstrapped';
}

async function importRootfs(tarball: string, image: string, suite: string, hash: string): Promise<void> {
  const changes = [
    `USER ${IMAGE_USER}`,
    `WORKDIR /home/${IMAGE_USER}`,
    'ENV LANG=C.UTF-8',
    'CMD ["/bin/bash"]',
    `LABEL ${LABEL_SUITE}=${suite} ${LABEL_RECIPE}=${hash} ${LABEL_CONTAINNSM_ORG}=${CONTAINNSM_ORG}`,
  ].flatMap((c) => ['--change', c]);
  await dockerOk(['import', ...changes, tarball, image], { timeoutMs: 10 * 60_000 }, `importing ${image}`);
}

/** Suites with a bootstrapped base image on the engine. */
export async function bootstrappedSuites(suites: readonly string[]): Promise<string[]> {
  const found = await inspectImages(suites.map(baseImageName));
  return suites.filter((s) => found.has(baseImageName(s)));
}
