/**
 * Checks the shared gate logins (demo/demo by default) from the live config.
 * Comparison is timing-safe and independent of which field was wrong.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { GlobalConfig } from '../config/schema.ts';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function checkGate(global: GlobalConfig, username: string, password: string): boolean {
  let ok = false;
  for (const g of global.gate_accounts) {
    const u = timingSafeEqual(digest(g.username), digest(username));
    const p = timingSafeEqual(digest(g.password), digest(password));
    ok = (u && p) || ok;
  }
  return ok;
}
