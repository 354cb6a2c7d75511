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
 * engine. Figures are counted as `docker stats` counts them: CPU as cumulative nanoseconds (read each call),
 * memory as usage less the inactive page cache (read at most every 5 s per container: it moves slowly).
 * Layouts: cgroup v1 and v2, Docker's cgroupfs (`docker/<id>`) and systemd (`system.slice/docker-<id>.scope`)
 * drivers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const FULL_ID = /^[0-9a-f]{64}$/;

interface Layout {
  /** CPU nanoseconds of the container `id`, or undefined when its file is missing. */
  cpuNs(id: string): number | undefined;
  memoryBytes(id: string): number | undefined;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

const FIELD_RES = new Map<string, RegExp>();

/** `key value` lines (memory.stat, cpu.stat): the number for `key`, else undefined. */
function statField(text: string | undefined, key: string): number | undefined {
  if (text === undefined) return undefined;
  let re = FIELD_RES.get(key);
  if (!re) FIELD_RES.set(key, (re = new RegExp(`^${key} (\\d+)$`, 'm')));
  const m = re.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The container's directory under a controller root, whichever cgroup driver made it. */
function dirs(root: string, id: string): string[] {
  return [join(root, 'docker', id), join(root, 'system.slice', `docker-${id}.scope`)];
}

function firstText(root: string, id: string, file: string): string | undefined {
  for (const d of dirs(root, id)) {
    const t = readText(join(d, file));
    if (t !== undefined) return t;
  }
  return undefined;
}

function v1(root: string): Layout {
  return {
    cpuNs: (id) => {
      const t = firstText(join(root, 'cpuacct'), id, 'cpuacct.usage');
      return t === undefined ? undefined : Number(t.trim());
    },
    memoryBytes: (id) => {
      const usage = firstText(join(root, 'memory'), id, 'memory.usage_in_bytes');
      if (usage === undefined) return undefined;
      const cache = statField(firstText(join(root, 'memory'), id, 'memory.stat'), 'total_inactive_file') ?? 0;
      return Math.max(0, Number(usage.trim()) - cache);
    },
  };
}

function v2(root: string): Layout {
  return {
    cpuNs: (id) => {
      const us = statField(firstText(root, id, 'cpu.stat'), 'usage_usec');
      return us === undefined ? undefined : us * 1000;
    },
    memoryBytes: (id) => {
      const current = firstText(root, id, 'memory.current');
      if (current === undefined) return undefined;
      const cache = statField(firstText(root, id, 'memory.stat'), 'inactive_file') ?? 0;
      return Math.max(0, Number(current.trim()) - cache);
    },
  };
}

/** Memory moves slowly and costs two file reads (memory.stat is ~35 lines): read at most this often per container. */
const MEMORY_EVERY_MS = 5000;

export class CgroupUsage {
  readonly #layout: Layout;
  /** Last memory figure per container id, and when it was read. */
  readonly #memory = new Map<string, { at: number; bytes: number }>();

  private constructor(layout: Layout) {
    this.#layout = layout;
  }

  /** The reader for this host's cgroup hierarchy under `root`, or undefined when neither v1 nor v2 is there. */
  static detect(root = '/sys/fs/cgroup'): CgroupUsage | undefined {
    if (readText(join(root, 'cgroup.controllers')) !== undefined) return new CgroupUsage(v2(root));
    if (readText(join(root, 'cpuacct', 'cpuacct.usage')) !== undefined) return new CgroupUsage(v1(root));
    return undefined;
  }

  /** CPU read every call; memory at most every 5 s per container (`now`: ms, for tests). */
  read(id: string, now = Date.now()): { cpuNs: number; memoryBytes: number } | undefined {
    if (!FULL_ID.test(id)) return undefined;
    const cpuNs = this.#layout.cpuNs(id);
    if (cpuNs === undefined || !Number.isFinite(cpuNs) || cpuNs <= 0) {
      this.#memory.delete(id);
      return undefined;
    }
    const m = this.#memory.get(id);
    if (m && now - m.at < MEMORY_EVERY_MS) return { cpuNs, memoryBytes: m.bytes };
    const memoryBytes = this.#layout.memoryBytes(id);
    if (memoryBytes === undefined || !Number.isFinite(memoryBytes)) return undefined;
    if (this.#memory.size > 10_000) this.#memory.clear();
    this.#memory.set(id, { at: now, bytes: memoryBytes });
    return { cpuNs, memoryBytes };
  }
}
