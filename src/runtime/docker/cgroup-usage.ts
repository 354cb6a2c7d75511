/**
 * A container's CPU time and memory read from the host's cgroup files, for an engine on this machine.
 *
 * Why: the Engine API's stats call costs ~1.2 ms of ISLET's CPU, and Docker 20.10 answers concurrent ones only
 * at its once-a-second collection, so a roster of 200 containers could refresh a container's CPU only every
 * ~10 s. Reading two or three small cgroup files costs tens of microseconds, so every container can be sampled
 * every second.
 *
 * Contract: `read(id)` takes a full 64-hex container id and returns undefined when this host has no cgroup for
 * it (another machine's engine, a stopped or missing container, an unknown layout): the caller then asks the
 * engine. Figures are counted as `docker stats` counts them: CPU as cumulative nanoseconds (read each call, with
 * one pread on the container's CPU file, kept open; closed within a minute once nobody asks about the container),
 * memory as usage less the inactive page cache (read at most every 5 s per container: it moves slowly).
 * Layouts: cgroup v1 and v2, each place cgroup-paths.ts lists (ISLET's idle trainee group, Docker's cgroupfs and
 * systemd drivers).
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { containerCgroupDirs, isFullContainerId } from './cgroup-paths.ts';
import { traineeGroupFiles } from './trainee-cpu-group.ts';

/** One container's files under one cgroup driver's layout. */
interface Files {
  readonly cpu: string;
  readonly memoryUsage: string;
  readonly memoryStat: string;
}

interface Layout {
  /** The container's files under each cgroup driver's layout (cgroupfs, systemd): the first whose CPU file opens is used. */
  files(id: string): Files[];
  /** ISLET's trainee group's CPU file, and its directory with a trailing slash (the containers' files under it). */
  readonly group: { readonly cpu: string; readonly dir: string };
  /** CPU nanoseconds from the CPU file's first `n` bytes in `buf`, or undefined when unreadable. */
  cpuNs(buf: Buffer, n: number): number | undefined;
  /** memory.stat's field for the inactive page cache, with its trailing space. */
  readonly cacheField: Buffer;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

/** The decimal number at `from` in `buf` (up to `end`), without making a string; undefined when no digit is there. */
function digits(buf: Buffer, from: number, end: number): number | undefined {
  let n = 0;
  let i = from;
  for (; i < end; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
  }
  return i === from ? undefined : n;
}

/** `key value` lines (memory.stat, cpu.stat) in `buf`'s first `n` bytes: the number after `key` (with its space) at a line's start. */
function field(buf: Buffer, n: number, key: Buffer): number | undefined {
  const text = buf.subarray(0, n);
  let at = text.indexOf(key);
  while (at > 0 && buf[at - 1] !== 10) at = text.indexOf(key, at + 1);
  return at < 0 ? undefined : digits(buf, at + key.length, n);
}

function v1(root: string): Layout {
  const group = traineeGroupFiles(root, 'v1');
  return {
    files: (id) => {
      const mem = containerCgroupDirs(join(root, 'memory'), id);
      return containerCgroupDirs(join(root, 'cpuacct'), id).map((d, i) => ({
        cpu: join(d, 'cpuacct.usage'),
        memoryUsage: join(mem[i]!, 'memory.usage_in_bytes'),
        memoryStat: join(mem[i]!, 'memory.stat'),
      }));
    },
    group: { cpu: group.cpu, dir: `${group.cpuDir}/` },
    cpuNs: (buf, n) => digits(buf, 0, n),
    cacheField: Buffer.from('total_inactive_file '),
  };
}

const USAGE_USEC = Buffer.from('usage_usec ');

function v2(root: string): Layout {
  const group = traineeGroupFiles(root, 'v2');
  return {
    files: (id) =>
      containerCgroupDirs(root, id).map((d) => ({ cpu: join(d, 'cpu.stat'), memoryUsage: join(d, 'memory.current'), memoryStat: join(d, 'memory.stat') })),
    group: { cpu: group.cpu, dir: `${group.cpuDir}/` },
    cpuNs: (buf, n) => {
      const us = field(buf, n, USAGE_USEC);
      return us === undefined ? undefined : us * 1000;
    },
    cacheField: Buffer.from('inactive_file '),
  };
}

/** Memory moves slowly and costs two file reads (memory.stat is ~35 lines): read at most this often per container. */
const MEMORY_EVERY_MS = 5000;
/** A container not read for this long has its CPU file closed (checked at most this often). */
const IDLE_CLOSE_MS = 30_000;

interface Entry {
  /** The CPU file, kept open: a read is one pread instead of open, fstat, read and close. */
  fd: number;
  readonly files: Files;
  /** Last read (ms). */
  used: number;
  /** Last memory figure and when it was read. */
  memory?: { at: number; bytes: number };
}

export class CgroupUsage {
  readonly #layout: Layout;
  readonly #open = new Map<string, Entry>();
  /** Every read lands here (memory.stat of cgroup v1 is ~1 KiB): no buffer or string is made per read. */
  readonly #buf = Buffer.alloc(16 * 1024);
  #swept = 0;
  /** The trainee group's CPU file, once groupCpu() opened it. */
  #groupFd: number | undefined;
  /** Sweeps while files are open and nobody reads (the console closed): an open file pins a removed cgroup. */
  #sweeper: NodeJS.Timeout | undefined;

  private constructor(layout: Layout) {
    this.#layout = layout;
  }

  /** The reader for this host's cgroup hierarchy under `root`, or undefined when neither v1 nor v2 is there. */
  static detect(root = '/sys/fs/cgroup'): CgroupUsage | undefined {
    if (readText(join(root, 'cgroup.controllers')) !== undefined) return new CgroupUsage(v2(root));
    if (readText(join(root, 'cpuacct', 'cpuacct.usage')) !== undefined) return new CgroupUsage(v1(root));
    return undefined;
  }

  /** CPU files held open now (tests). */
  get openFiles(): number {
    return this.#open.size;
  }

  /**
   * CPU read every call (one pread on the container's CPU file, kept open); memory at most every 5 s per
   * container (`now`: ms, for tests). A file of a removed cgroup fails its read (ENODEV): it is closed and
   * the path opened again once (a container restarted under the same id), else undefined.
   */
  read(id: string, now = Date.now()): { cpuNs: number; memoryBytes: number } | undefined {
    const c = this.#cpuOf(id, now);
    if (!c) return undefined;
    const { e, cpuNs } = c;
    const m = e.memory;
    if (m && now - m.at < MEMORY_EVERY_MS) return { cpuNs, memoryBytes: m.bytes };
    const memoryBytes = this.#memoryBytes(e.files);
    if (memoryBytes === undefined || !Number.isFinite(memoryBytes)) return undefined;
    e.memory = { at: now, bytes: memoryBytes };
    return { cpuNs, memoryBytes };
  }

  /** CPU time (ns) only, as read() counts it: one pread, no memory files (the CPU-weight governor's every half second). */
  cpu(id: string, now = Date.now()): number | undefined {
    return this.#cpuOf(id, now)?.cpuNs;
  }

  /**
   * CPU time (ns) of ISLET's trainee group (trainee-cpu-group.ts), every container under it included: one pread
   * on its CPU file, kept open; undefined when this host has no such group. Since the group's time is the sum of
   * its containers', its growth over a span bounds what each container in it used (`inGroup`).
   */
  groupCpu(): number | undefined {
    let ns = this.#groupFd === undefined ? undefined : this.#cpu(this.#groupFd);
    if (ns === undefined) {
      this.#closeGroup();
      try {
        this.#groupFd = openSync(this.#layout.group.cpu, 'r');
      } catch {
        return undefined; // no idle group here (runtime.trainee_cpu: engine, or a kernel without cpu.idle)
      }
      ns = this.#cpu(this.#groupFd);
    }
    return ns !== undefined && Number.isFinite(ns) ? ns : undefined;
  }

  /**
   * Whether container `id`'s CPU file, as last opened by cpu() or read(), is inside the trainee group: then
   * groupCpu() counts it. False for a container not read yet, or read elsewhere (Docker's own groups).
   */
  inGroup(id: string): boolean {
    return this.#open.get(id)?.files.cpu.startsWith(this.#layout.group.dir) ?? false;
  }

  /** The container's CPU file (opened once, again after a failed read) and its figure now. */
  #cpuOf(id: string, now: number): { e: Entry; cpuNs: number } | undefined {
    this.#sweep(now);
    let e = this.#open.get(id);
    let cpuNs = e && this.#cpu(e.fd);
    if (cpuNs === undefined) {
      if (e) this.#close(id, e);
      if (!isFullContainerId(id)) return undefined;
      e = this.#openCpu(id, now);
      if (e === undefined) return undefined;
      this.#open.set(id, e);
      this.#sweeper ??= setInterval(() => this.#sweep(Date.now()), IDLE_CLOSE_MS).unref();
      cpuNs = this.#cpu(e.fd);
    }
    if (cpuNs === undefined || !Number.isFinite(cpuNs) || cpuNs <= 0) {
      this.#close(id, e!);
      return undefined;
    }
    e!.used = now;
    return { e: e!, cpuNs };
  }

  /** Closes every file held open. */
  close(): void {
    for (const [id, e] of this.#open) this.#close(id, e);
    this.#closeGroup();
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  #cpu(fd: number): number | undefined {
    try {
      const n = readSync(fd, this.#buf, 0, this.#buf.length, 0);
      return this.#layout.cpuNs(this.#buf, n);
    } catch {
      return undefined;
    }
  }

  #openCpu(id: string, now: number): Entry | undefined {
    for (const files of this.#layout.files(id)) {
      try {
        return { fd: openSync(files.cpu, 'r'), files, used: now };
      } catch {
        // the other layout's path, or no cgroup here
      }
    }
    return undefined;
  }

  /** Usage less the inactive page cache (0 when memory.stat lacks it), or undefined when the usage file is unreadable. */
  #memoryBytes(f: Files): number | undefined {
    let n = this.#readFile(f.memoryUsage);
    const usage = n === undefined ? undefined : digits(this.#buf, 0, n);
    if (usage === undefined) return undefined;
    n = this.#readFile(f.memoryStat);
    const cache = (n !== undefined && field(this.#buf, n, this.#layout.cacheField)) || 0;
    return Math.max(0, usage - cache);
  }

  /** Reads a small file into the shared buffer: its length, or undefined. */
  #readFile(path: string): number | undefined {
    let fd: number | undefined;
    try {
      fd = openSync(path, 'r');
      return readSync(fd, this.#buf, 0, this.#buf.length, 0);
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  #closeGroup(): void {
    if (this.#groupFd === undefined) return;
    try {
      closeSync(this.#groupFd);
    } catch {
      // already closed
    }
    this.#groupFd = undefined;
  }

  #close(id: string, e: Entry): void {
    this.#open.delete(id);
    try {
      closeSync(e.fd);
    } catch {
      // already closed
    }
  }

  /** Closes the files of containers nobody asked about lately (removed, or the console closed). */
  #sweep(now: number): void {
    if (now - this.#swept < IDLE_CLOSE_MS) return;
    this.#swept = now;
    for (const [id, e] of this.#open) if (now - e.used >= IDLE_CLOSE_MS) this.#close(id, e);
    if (this.#open.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }
}
