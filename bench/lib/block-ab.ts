/**
 * The within-room A/B of bench/echo-trace.ts (--slice-ab, --terminal-slice-ab, --relay-cgroup-ab, --typing-boost-ab,
 * --typing-shares-ab): one setting is
 * switched on and off in blocks through one window, so both arms meet the same trainees in the same minutes, and the
 * keys are pooled per arm. The arm called `short` is the treated one (a short scheduler slice, or the relays in a cpu
 * group of their own); `default` leaves the kernel's and the engine's settings.
 *
 * Contract: a target's set() throws when most of what it acts on refused; alternateArms() keeps the run going in the
 * arm it is in when a switch fails, and its stop() puts the default back and never throws.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Late } from './lag-watch.ts';
import { pct, round1 } from './results.ts';
import { setSlices, setThreadSlice, threadSlice } from './thread-slice.ts';

/** A typist's relay and shell, by host process id. */
export interface Hops {
  readonly relay: number;
  readonly shell: number;
}

/** One block of the slice A/B: which slice its threads (ISLET's event loop, or the typists' terminals) asked for over [from, to). */
export interface Block {
  readonly arm: 'default' | 'short';
  readonly from: number;
  to: number;
}

/** What an arm of the slice A/B sets: `set` asks for the arm's slice, `defaultNs` is the kernel's (null if unknown). */
export interface SliceTarget {
  readonly defaultNs: number | undefined;
  set(arm: Block['arm']): void;
  /** Undoes what the target made (a cgroup), after the default is back; never throws. */
  remove?(): void;
}

/** The A/B on ISLET's event-loop thread (--slice-ab): the default arm asks for the kernel's slice by value. */
export function isletThreadArms(pid: number, defaultNs: number | undefined, shortUs: number): SliceTarget {
  if (defaultNs === undefined) throw new Error("--slice-ab: this kernel shows no se.slice for ISLET's thread");
  return {
    defaultNs,
    set: (a) => {
      const r = setThreadSlice(pid, a === 'short' ? shortUs * 1000 : defaultNs);
      if (r !== 'set' && r !== 'unchanged') throw new Error(`--slice-ab: the kernel did not take the slice request (${r})`);
    },
  };
}

/**
 * The A/B on every typist's relay and shell (--terminal-slice-ab), as `runtime.terminal_slice_us` sets them: with
 * SCHED_RESET_ON_FORK, so what a shell starts keeps the kernel's slice; the default arm clears the request. A
 * trainee whose relay or shell is gone is left out; most of the room refusing ends the run.
 */
export function terminalArms(hops: ReadonlyMap<number, Hops>, shortUs: number): SliceTarget {
  const tids = [...hops.values()].flatMap((h) => [h.relay, h.shell]);
  const defaultNs = tids.length > 0 ? threadSlice(tids[0]!) : undefined;
  if (defaultNs === undefined) throw new Error('--terminal-slice-ab: no relay shows se.slice (no trainees, or a kernel before EEVDF)');
  return {
    defaultNs,
    set: (a) => {
      const r = setSlices(tids, a === 'short' ? shortUs * 1000 : 0, { resetOnFork: true });
      if (r.set < tids.length / 2) throw new Error(`--terminal-slice-ab: ${r.failed} of ${tids.length} threads did not take the request`);
    },
  };
}

const CPU_ROOT = '/sys/fs/cgroup/cpu';

/**
 * The --relay-cgroup-ab target: `short` moves the typists' relays into a cpu cgroup of this run's own
 * (`islet-bench-relays-<pid>`, the default 1024 shares, beside the engine's group), `default` puts each back in the
 * container's cpu cgroup it came from. stop() leaves them back and removes the group (and empty groups of earlier
 * runs that died).
 */
export function relayCgroupArms(hops: ReadonlyMap<number, Hops>): SliceTarget {
  if (!existsSync(join(CPU_ROOT, 'cpu.shares'))) throw new Error('--relay-cgroup-ab: needs cgroup v1 with the cpu controller at ' + CPU_ROOT);
  for (const d of readdirSync(CPU_ROOT))
    if (d.startsWith('islet-bench-relays-'))
      try {
        rmdirSync(join(CPU_ROOT, d));
      } catch {
        // not empty: another run's relays are in it
      }
  const own = join(CPU_ROOT, `islet-bench-relays-${process.pid}`);
  mkdirSync(own, { recursive: true });
  const home = new Map<number, string>();
  for (const { relay } of hops.values()) {
    const dir = cpuCgroupOf(relay);
    if (dir) home.set(relay, join(dir, 'cgroup.procs'));
  }
  if (home.size === 0) throw new Error("--relay-cgroup-ab: no relay's cpu cgroup found");
  const move = (to: (relay: number) => string) => {
    let failed = 0;
    for (const relay of home.keys()) {
      try {
        writeFileSync(to(relay), String(relay));
      } catch {
        failed++; // the relay is gone
      }
    }
    if (failed > home.size / 2) throw new Error(`--relay-cgroup-ab: ${failed} of ${home.size} relays did not move`);
  };
  return {
    defaultNs: undefined,
    set: (a) => move((relay) => (a === 'short' ? join(own, 'cgroup.procs') : home.get(relay)!)),
    remove: () => {
      try {
        rmdirSync(own);
      } catch {
        // a relay still in it (gone ones leave it empty): the next run's sweep removes it
      }
    },
  };
}

/** The cpu cgroup directory (cgroup v1) of host process `pid`, or undefined when it has none of its own. */
function cpuCgroupOf(pid: number): string | undefined {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .find((l) => /^\d+:([^:]*,)?cpu(,[^:]*)?:/.test(l));
  const path = line?.split(':')[2];
  return path && path !== '/' ? join(CPU_ROOT, path) : undefined;
}

/**
 * The --typing-boost-ab target: in the `short` (treated) arm a trainee's container gets `shares` as its cpu weight
 * while the trainee types a command (WorkerPool's onTyping: from before its first key to before its Enter) and
 * 1024 again before the command runs, as ISLET could set it on a key's arrival; the `default` arm leaves every
 * container at 1024. An upper bound on what raising a typing container's weight can do for the echo: the weight is
 * raised before the first key is timed. Containers the governor lowered meanwhile are put to 1024 by it too.
 */
export function typingBoostArms(hops: ReadonlyMap<number, Hops>, shares: number): { target: SliceTarget; onTyping: (index: number, typing: boolean) => void } {
  if (!existsSync(join(CPU_ROOT, 'cpu.shares'))) throw new Error('--typing-boost-ab: needs cgroup v1 with the cpu controller at ' + CPU_ROOT);
  const files = new Map<number, string>();
  for (const [index, { relay }] of hops) {
    try {
      const dir = cpuCgroupOf(relay);
      if (dir) files.set(index, join(dir, 'cpu.shares'));
    } catch {
      // the relay is gone: this trainee is left out
    }
  }
  if (files.size === 0) throw new Error("--typing-boost-ab: no typist's cpu cgroup found");
  let boosting = false;
  const write = (file: string, value: number) => {
    try {
      writeFileSync(file, String(value));
      return true;
    } catch {
      return false; // the container is gone
    }
  };
  return {
    target: {
      defaultNs: undefined,
      set: (a) => {
        boosting = a === 'short';
        if (boosting) return; // the next command's first key raises its container
        let failed = 0;
        for (const f of files.values()) if (!write(f, 1024)) failed++;
        if (failed > files.size / 2) throw new Error(`--typing-boost-ab: ${failed} of ${files.size} containers took no weight`);
      },
    },
    onTyping: (index, typing) => {
      const f = files.get(index);
      if (f && boosting) write(f, typing ? shares : 1024);
    },
  };
}

/**
 * The --typing-shares-ab target: ISLET's own setting `key` (a top-level line of its islet.yaml, which it reloads on
 * change) is `short` in the treated arm and `dflt` in the other. The file is replaced whole (a rename), so ISLET
 * never reads half of it.
 */
export function configArms(file: string, key: string, short: number, dflt: number): SliceTarget {
  const line = new RegExp(`^${key}:.*$`, 'm');
  return {
    defaultNs: undefined,
    set: (a) => {
      const text = readFileSync(file, 'utf8');
      const want = `${key}: ${a === 'short' ? short : dflt}`;
      const next = line.test(text) ? text.replace(line, want) : `${text.replace(/\n*$/, '\n')}${want}\n`;
      writeFileSync(`${file}.ab`, next);
      renameSync(`${file}.ab`, file);
    },
  };
}

/**
 * Alternates `target` between its default and its short (treated) arm, in blocks of `opts.blockMs` from `from`
 * (the first block's arm is `opts.first`, else alternates with the run's minute, so that neither arm always
 * opens the window: the workload's delays repeat from run to run); stop() ends the last block at `to` and leaves
 * the default in place.
 */
export function alternateArms(target: SliceTarget, from: number, blocks: Block[], opts: { blockMs: number; first?: string }) {
  let arm: Block['arm'] = opts.first === 'short' || opts.first === 'default' ? opts.first : new Date().getMinutes() % 2 === 0 ? 'short' : 'default';
  target.set(arm);
  let open: Block = { arm, from, to: Number.POSITIVE_INFINITY };
  blocks.push(open);
  let stopped = false;
  const timer = setInterval(() => {
    const next = arm === 'short' ? 'default' : 'short';
    try {
      target.set(next);
    } catch (err) {
      // Thrown in a timer it would end the process and leave the server behind: the run goes on in this arm.
      console.log(String(err));
      return;
    }
    arm = next;
    open.to = performance.now();
    open = { arm, from: open.to, to: Number.POSITIVE_INFINITY };
    blocks.push(open);
  }, opts.blockMs);
  return {
    defaultNs: target.defaultNs,
    /** Ends the last block at `to` (once) and puts the default back; never throws. */
    stop: (to: number) => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      open.to = to;
      try {
        target.set('default');
      } catch {
        // the threads are going away with the run
      }
      target.remove?.();
    },
  };
}

/** Echo and ISLET-loop figures per arm of the slice A/B, pooled over its blocks, and each block's own p99. */
export function armsSummary(
  blocks: readonly Block[],
  echoes: readonly { at: number; ms: number }[],
  lag: readonly Late[],
  from: number,
  opts: { shortUs: number; defaultNs: number | undefined; blockMs: number; slowMs: number },
) {
  const blockOf = (t: number) => blocks.find((b) => t >= b.from && t < b.to);
  // A key counts in the arm its whole wait lies in: one that spans a switch counts in neither.
  const inArm = (e: { at: number; ms: number }) => {
    const b = blockOf(e.at);
    return b && e.at + e.ms < b.to ? b.arm : undefined;
  };
  const arm = (name: Block['arm']) => {
    const ms = echoes.filter((e) => inArm(e) === name).map((e) => e.ms);
    const late = lag.filter((l) => blockOf(l.at)?.arm === name);
    return {
      blocks: blocks.filter((b) => b.arm === name).length,
      seconds: round1(blocks.filter((b) => b.arm === name).reduce((s, b) => s + (b.to - b.from), 0) / 1000),
      keys: ms.length,
      p50: round1(pct(ms, 0.5)),
      p95: round1(pct(ms, 0.95)),
      p99: round1(pct(ms, 0.99)),
      max: round1(Math.max(0, ...ms)),
      slow_keys: ms.filter((m) => m > opts.slowMs).length,
      islet_loop_late_over_20ms: late.filter((l) => l.late >= 20).length,
      islet_loop_late_max_ms: round1(Math.max(0, ...late.map((l) => l.late))),
    };
  };
  return {
    slice_us: { short: opts.shortUs, default: opts.defaultNs === undefined ? null : opts.defaultNs / 1000 },
    block_s: opts.blockMs / 1000,
    arms: { default: arm('default'), short: arm('short') },
    blocks: blocks.map((b) => {
      const ms = echoes.filter((e) => e.at >= b.from && e.at < b.to && e.at + e.ms < b.to).map((e) => e.ms);
      return { arm: b.arm, from_s: round1((b.from - from) / 1000), keys: ms.length, p99: round1(pct(ms, 0.99)) };
    }),
  };
}
