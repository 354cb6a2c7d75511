/**
 * The `/etc/hosts` files of network-off containers, one per hostname, in a directory on the engine's machine.
 *
 * Why: a container whose config says `NetworkDisabled` starts without Docker's network sandbox. It still gets
 * a network namespace of its own with only `lo`, brought up by runc, but the engine skips its prestart hook
 * (`libnetwork-setkey`, a fresh run of the 75 MB dockerd binary that then calls back into dockerd) and writes
 * no `/etc/hosts`. On the benchmark VM that cut create + start through the Engine API from about 590 to about
 * 265 ms (2026-12-01 22:10 UTC, a slow spell; docs/performance.md, "Time to a shell"). Without a hosts file
 * neither `localhost` nor the container's own hostname would resolve, so ISLET binds one of these read-only.
 *
 * Contract: `fileFor(hostname)` returns an absolute path whose content is exactly `hostsFileText(hostname)`,
 * written atomically (a new inode by rename, so a container already bound to an older file keeps it), with
 * mode 0644 so any user in the container can read it. Hostnames come from containerHostname() (RFC 1123
 * labels: letters, digits and `-`), so they are safe file names; anything else is refused. The files stay:
 * a stopped container's bind must still exist when it is started again, after a reboot too.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** The hosts file of a network-off container called `hostname`: loopback names and its own name. */
export function hostsFileText(hostname: string): string {
  return `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.0.1\t${hostname}\n`;
}

export class HostsFiles {
  readonly dir: string;
  /** Hostnames whose file this process has checked or written. */
  readonly #ready = new Set<string>();

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /**
   * fileFor, or undefined when the file cannot be written (a read-only or full data directory): the container
   * then gets the engine's own `network none`, slower to start but the same to the trainee.
   */
  fileOrNone(hostname: string): string | undefined {
    try {
      return this.fileFor(hostname);
    } catch {
      return undefined;
    }
  }

  fileFor(hostname: string): string {
    if (!LABEL.test(hostname)) throw new Error(`not a hostname label: ${JSON.stringify(hostname)}`);
    const file = join(this.dir, hostname);
    if (this.#ready.has(hostname)) return file;
    const text = hostsFileText(hostname);
    let current: string | undefined;
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      /* absent: written below */
    }
    if (current !== text) {
      mkdirSync(this.dir, { recursive: true, mode: 0o755 });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, text, { mode: 0o644 });
      chmodSync(tmp, 0o644); // the umask may have narrowed it
      renameSync(tmp, file);
    }
    this.#ready.add(hostname);
    return file;
  }
}
