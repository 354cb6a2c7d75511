/**
 * Tools ISLET brings into a trainee's container so that file transfer,
 * port forwarding and export work for ANY image, with no sftp-server, nc or
 * tar inside it: the host's statically linked busybox is copied once to
 * `/.islet/busybox` (root-owned, 0755) through the engine's archive API, and
 * run with `exec` as the container's own user — so the kernel enforces that
 * user's permissions and files get that user's ownership.
 *
 * Contract: ensure() is idempotent and cheap after the first call per
 * container; run() never goes through a shell (argv is passed as is).
 */
import { readFileSync } from 'node:fs';
import { pack } from 'tar-stream';
import { IsletError } from '../core/islet-error.ts';
import type { ExecRequest, Execution, RuntimeDriver } from './runtime-driver.ts';

export const TOOL_PATH = '/.islet/busybox';

async function toolArchive(hostBusybox: string): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  p.entry({ name: '.islet', type: 'directory', mode: 0o755, uid: 0, gid: 0 });
  p.entry({ name: '.islet/busybox', mode: 0o755, uid: 0, gid: 0 }, readFileSync(hostBusybox));
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export class ContainerTools {
  readonly #driver: RuntimeDriver;
  readonly #hostBusybox: string;
  #archive: Promise<Buffer> | undefined;
  readonly #installed = new Map<string, Promise<void>>();

  constructor(driver: RuntimeDriver, hostBusybox = '/bin/busybox') {
    this.#driver = driver;
    this.#hostBusybox = hostBusybox;
  }

  ensure(id: string): Promise<void> {
    let p = this.#installed.get(id);
    if (!p) {
      p = (async () => {
        this.#archive ??= toolArchive(this.#hostBusybox);
        try {
          await this.#driver.putArchive(id, '/', await this.#archive);
        } catch (err) {
          throw new IsletError(
            'RUNTIME_FAILED',
            'File transfer is not available for this environment (its filesystem is read-only).',
            `cannot install ${TOOL_PATH}: ${(err as Error).message}`,
            {},
            err,
          );
        }
      })();
      this.#installed.set(id, p);
      p.catch(() => this.#installed.delete(id));
      if (this.#installed.size > 10_000) this.#installed.delete(this.#installed.keys().next().value!);
    }
    return p;
  }

  /** Runs `busybox <applet> args…` in the container as its user. */
  async run(id: string, applet: string, args: readonly string[], opts: Omit<ExecRequest, 'cmd'> = {}): Promise<Execution> {
    await this.ensure(id);
    return this.#driver.exec(id, { ...opts, cmd: [TOOL_PATH, applet, ...args] });
  }

  /**
   * Runs a tool to completion; resolves with its exit status, stdout and stderr (small outputs only).
   * Bounded: a tool still running after `timeoutMs` (default 60 s) or printing more than `maxOutput` bytes
   * (default 1 MiB) is stopped (its engine stream dropped, then SIGKILL) and reported as failed (-1).
   */
  async capture(
    id: string,
    applet: string,
    args: readonly string[],
    input?: Buffer,
    opts: { timeoutMs?: number; maxOutput?: number } = {},
  ): Promise<{ code: number; stdout: Buffer; stderr: string }> {
    const e = await this.run(id, applet, args);
    const out: Buffer[] = [];
    let size = 0;
    let err = '';
    let stopped = '';
    const stop = (why: string) => {
      if (stopped) return;
      stopped = why;
      e.close();
      void e.signal('SIGKILL').catch(() => undefined);
    };
    const timer = setTimeout(() => stop(`${applet} did not finish within ${opts.timeoutMs ?? 60_000} ms`), opts.timeoutMs ?? 60_000);
    e.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > (opts.maxOutput ?? 1024 * 1024)) stop(`${applet} printed more than expected`);
      else out.push(b);
    });
    e.stderr.on('data', (b: Buffer) => {
      if (err.length < 4096) err += b.toString();
    });
    e.stdout.on('error', () => undefined);
    e.stderr.on('error', () => undefined);
    e.stdin.end(input ?? Buffer.alloc(0));
    const code = await e.exited.finally(() => clearTimeout(timer));
    await new Promise((r) => setImmediate(r));
    if (stopped) return { code: -1, stdout: Buffer.alloc(0), stderr: stopped };
    return { code, stdout: Buffer.concat(out), stderr: err.trim() };
  }
}
