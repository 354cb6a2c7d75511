/**
 * Versions compared as versions, not as text (ContainNSM's #17: `4.10` after
 * `4.9`). The rules are dpkg's, so Debian versions (`1:3.0.8.2-6+b1`,
 * `1.0~pre4-9`) and plain upstream versions (`4.99.3`, `3.09b`) order as apt
 * orders them: epoch, then upstream, then Debian revision; `~` sorts before
 * everything, even the end of the string.
 */

/** Negative, zero or positive as `a` is lower, equal or higher than `b`. */
export function compareVersions(a: string, b: string): number {
  const pa = split(a);
  const pb = split(b);
  if (pa.epoch !== pb.epoch) return pa.epoch - pb.epoch;
  return verrevcmp(pa.upstream, pb.upstream) || verrevcmp(pa.revision, pb.revision);
}

/** Sorted copy, lowest first. */
export function sortVersions<T>(items: readonly T[], key: (t: T) => string): T[] {
  return [...items].sort((x, y) => compareVersions(key(x), key(y)));
}

/** The highest version, or undefined for none. */
export function highestVersion(versions: readonly string[]): string | undefined {
  return sortVersions(versions, (v) => v).at(-1);
}

function split(v: string): { epoch: number; upstream: string; revision: string } {
  const colon = v.indexOf(':');
  const epoch = colon > 0 && /^\d+$/.test(v.slice(0, colon)) ? Number(v.slice(0, colon)) : 0;
  const rest = colon > 0 && epoch.toString() === v.slice(0, colon).replace(/^0+(?=\d)/, '') ? v.slice(colon + 1) : v;
  const dash = rest.lastIndexOf('-');
  return dash > 0 ? { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) } : { epoch, upstream: rest, revision: '' };
}

/** dpkg's character order: `~` lowest, then end of string, then letters, then the rest. */
function order(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === '~') return -1;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // Non-digit prefix, compared character by character.
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = i < a.length && !isDigit(a[i]) ? order(a[i]) : 0;
      const bc = j < b.length && !isDigit(b[j]) ? order(b[j]) : 0;
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    // Digit run, compared as a number (leading zeros ignored).
    let ad = '';
    let bd = '';
    while (i < a.length && isDigit(a[i])) ad += a[i++];
    while (j < b.length && isDigit(b[j])) bd += b[j++];
    const an = ad.replace(/^0+/, '');
    const bn = bd.replace(/^0+/, '');
    if (an.length !== bn.length) return an.length - bn.length;
    if (an !== bn) return an < bn ? -1 : 1;
  }
  return 0;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}
