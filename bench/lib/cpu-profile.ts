/**
 * Summary of a V8 .cpuprofile (node --cpu-prof): self time by function and by
 * where the code lives (ssh2, node's own streams/net, ISLET, the engine client,
 * GC), as a share of the busy (non-idle) time.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Milliseconds sampled, and of those not idle. */
  readonly totalMs: number;
  readonly busyMs: number;
  readonly top: { name: string; where: string; selfMs: number; selfPct: number }[];
  readonly byArea: { area: string; selfMs: number; selfPct: number }[];
}

/** Where a function's code lives: a package, a node internal module, ISLET, or a V8 pseudo-frame. */
export function area(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1] === 'ssh2' ? `ssh2/${/ssh2\/lib\/(.*)$/.exec(url)?.[1] ?? ''}` : pkg[1]!;
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').replace(/\/.*$/, '');
  if (url.includes('/src/')) return `islet ${url.slice(url.lastIndexOf('/src/') + 1)}`;
  return url;
}

/** Self time by function and by area of the samples taken within `window` (µs, the profile's clock), or all. */
export function summarizeCpuProfile(p: CpuProfile, window?: { fromUs: number; toUs: number }, topN = 20): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let t = p.startTime;
  p.samples.forEach((id, i) => {
    t += p.timeDeltas[i] ?? 0;
    if (window && (t < window.fromUs || t > window.toUs)) return;
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  const fns = new Map<string, { name: string; where: string; us: number }>();
  const areas = new Map<string, number>();
  let total = 0,
    idle = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const name = n.callFrame.functionName || '(anonymous)';
    total += us;
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    const where = n.callFrame.url
      ? `${n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/src\//, 'src/')}:${n.callFrame.lineNumber + 1}`
      : '';
    const key = `${name}@${where}`;
    const f = fns.get(key) ?? { name, where, us: 0 };
    f.us += us;
    fns.set(key, f);
    const a = area(n.callFrame.url, name);
    areas.set(a, (areas.get(a) ?? 0) + us);
  }
  const busy = total - idle;
  const pct = (us: number) => Math.round((us / busy) * 1000) / 10;
  const ms = (us: number) => Math.round(us / 100) / 10;
  return {
    totalMs: ms(total),
    busyMs: ms(busy),
    top: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, topN)
      .map((f) => ({ name: f.name, where: f.where, selfMs: ms(f.us), selfPct: pct(f.us) })),
    byArea: [...areas]
      .sort((a, b) => b[1] - a[1])
      .slice(0, topN)
      .map(([a, us]) => ({ area: a, selfMs: ms(us), selfPct: pct(us) })),
  };
}
