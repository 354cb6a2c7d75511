/**
 * Images of the fake engine: which users exist, who the default user is, what
 * the main process is, and which directories the filesystem starts with.
 */
import type { FakeFs } from './fake-fs.ts';

export interface FakeImage {
  /** User name → uid (gid is the same number). */
  readonly users: Readonly<Record<string, number>>;
  /** The image's USER (used when the environment sets none). */
  readonly user: string;
  /** The image's CMD. */
  readonly cmd: readonly string[];
  /** The image's WORKDIR ('/' when unset). */
  readonly workdir?: string;
}

/** Like scripts/build-demo-image.sh's islet/demo:latest: root and student (1000), CMD sh -l, USER student. */
export const DEMO_IMAGE: FakeImage = { users: { root: 0, student: 1000 }, user: 'student', cmd: ['/bin/sh', '-l'], workdir: '/home/student' };

/** The directories a fresh instance of `image` has: /, /tmp (1777), /root, /etc, /bin, and a home per user. */
export function seedFs(fs: FakeFs, image: FakeImage): void {
  for (const d of ['/etc', '/bin', '/usr', '/var', '/root']) fs.mkdirp(d);
  fs.mkdirp('/tmp', { uid: 0, gid: 0 }, 0o1777);
  for (const [name, uid] of Object.entries(image.users)) if (uid !== 0) fs.mkdirp(`/home/${name}`, { uid, gid: uid }, 0o755);
  fs.written = 0;
}
