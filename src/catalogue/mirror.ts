/**
 * The Debian mirror builds download from: the one this host's apt already
 * uses (/etc/apt/sources.list*), so a machine that reaches only its own
 * mirror builds from it; ISLET_DEBIAN_MIRROR overrides.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

export function debianMirror(env: NodeJS.ProcessEnv = process.env, etc = '/etc/apt'): string {
  if (env.ISLET_DEBIAN_MIRROR) return env.ISLET_DEBIAN_MIRROR.replace(/\/+$/, '');
  return mirrorFromSources(sourceTexts(etc)) ?? DEFAULT_MIRROR;
}

/** The first archive URI (not -security, not a third-party repository) in one-line or deb822 sources. */
export function mirrorFromSources(texts: readonly string[]): string | undefined {
  for (const text of texts) {
    for (const line of text.split('\n')) {
      const m = /^\s*(?:deb\s+(?:\[[^\]]*\]\s+)?|URIs:\s*)(\S+)/.exec(line);
      const uri = m?.[1]?.replace(/\/+$/, '');
      if (uri && /^https?:\/\//.test(uri) && /\/debian$/.test(uri)) return uri;
    }
  }
  return undefined;
}

function sourceTexts(etc: string): string[] {
  const out: string[] = [];
  const main = join(etc, 'sources.list');
  if (existsSync(main)) out.push(readFileSync(main, 'utf8'));
  const d = join(etc, 'sources.list.d');
  if (existsSync(d)) for (const f of readdirSync(d).sort()) if (/\.(list|sources)$/.test(f)) out.push(readFileSync(join(d, f), 'utf8'));
  return out;
}
