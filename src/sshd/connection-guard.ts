/**
 * Per-address limits for the SSH front door, kept in the application (no
 * iptables): concurrent connections per address and in total, new
 * connections per address per minute, and the refusal of an address that
 * failed logins locked out (the door-neutral count lives in
 * src/access/address-failures.ts). Addresses of ISLET's own trainee networks
 * are refused outright, so a container on a `bridge` network cannot reach
 * ISLET's port.
 *
 * Contract: every method is O(1) amortised; memory is bounded by pruning
 * entries whose windows have passed.
 */
export interface GuardLimits {
  readonly maxConnections: number;
  readonly maxPerIp: number;
  readonly newPerIpPerMinute: number;
}

interface IpState {
  open: number;
  recent: number[];
}

export type Refusal = 'too_many_connections' | 'too_many_from_address' | 'connection_rate' | 'locked_out' | 'trainee_network';

export class ConnectionGuard {
  readonly #limits: () => GuardLimits;
  readonly #now: () => number;
  readonly #lockedOut: (ip: string) => boolean;
  readonly #ips = new Map<string, IpState>();
  #open = 0;
  #denied: { net: number; mask: number }[] = [];

  /** `lockedOut` says whether failed logins have locked an address out (src/access/address-failures.ts). */
  constructor(limits: () => GuardLimits, now: () => number = Date.now, lockedOut: (ip: string) => boolean = () => false) {
    this.#limits = limits;
    this.#now = now;
    this.#lockedOut = lockedOut;
  }

  /** IPv4 subnets (CIDR) whose clients are always refused: ISLET's trainee networks. */
  denySubnets(cidrs: readonly string[]): void {
    this.#denied = cidrs.flatMap((c) => {
      const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(c);
      if (!m) return [];
      const bits = Number(m[5]);
      const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
      return [{ net: (ipv4(c.split('/')[0]!)! & mask) >>> 0, mask }];
    });
  }

  #state(ip: string): IpState {
    let s = this.#ips.get(ip);
    if (!s) {
      s = { open: 0, recent: [] };
      this.#ips.set(ip, s);
    }
    return s;
  }

  /** Called for every new connection; a refusal reason, or undefined when it may proceed (then call closed() later). */
  admit(ip: string): Refusal | undefined {
    const lim = this.#limits();
    const now = this.#now();
    const v4 = ipv4(ip.replace(/^::ffff:/, ''));
    if (v4 !== undefined && this.#denied.some((d) => (v4 & d.mask) >>> 0 === d.net)) return 'trainee_network';
    if (this.#lockedOut(ip)) return 'locked_out';
    const s = this.#state(ip);
    if (this.#open >= lim.maxConnections) return 'too_many_connections';
    if (s.open >= lim.maxPerIp) return 'too_many_from_address';
    s.recent = s.recent.filter((t) => t > now - 60_000);
    if (s.recent.length >= lim.newPerIpPerMinute) return 'connection_rate';
    s.recent.push(now);
    s.open++;
    this.#open++;
    return undefined;
  }

  closed(ip: string): void {
    const s = this.#ips.get(ip);
    if (s && s.open > 0) {
      s.open--;
      this.#open--;
    }
    this.#prune();
  }

  #prune(): void {
    if (this.#ips.size < 1024) return;
    const now = this.#now();
    for (const [ip, s] of this.#ips) if (s.open === 0 && s.recent.every((t) => t <= now - 60_000)) this.#ips.delete(ip);
  }
}

function ipv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) return undefined;
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}
