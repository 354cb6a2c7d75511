/**
 * A child process that does what the server does for a login of a sealed account: the product's verifyPassword
 * (scrypt at full cost on libuv's pool), one after another. Run by src/os/kdf-malloc.test.ts and
 * bench/seal-cost.ts under the environment they compare, with `node verify-probe.ts WARM COUNT`: WARM verifies
 * at once (one per pool thread, so every thread has hashed once), then COUNT one after another, measured.
 * Prints one JSON line: what it measured (`verify` or `interim`), CPU ms and minor page faults over the COUNT verifies (/proc/self/stat), and VmRSS (MiB) at
 * the end. With a third argument `interim`, the COUNT measured operations are instead what a new account's login
 * costs the server: hashPassword at INTERIM_N (the interim hash, src/accounts/password.ts).
 */
import { readFileSync } from 'node:fs';
import { INTERIM_N, hashPassword, verifyPassword } from '../../src/accounts/password.ts';
import { procStat } from './kdf-worker-client.ts';

const [warm = 1, count = 1] = process.argv.slice(2, 4).map(Number);
const interim = process.argv[4] === 'interim';
const hash = await hashPassword('probe-password');
const ok = await Promise.all(Array.from({ length: warm }, () => verifyPassword('probe-password', hash)));
const before = procStat(process.pid);
for (let i = 0; i < count; i++) {
  if (interim) ok.push((await hashPassword(`pw-${i}`, INTERIM_N)).startsWith(`scrypt$${INTERIM_N}$`));
  else ok.push(await verifyPassword('probe-password', hash));
}
const after = procStat(process.pid);
const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
const cost = { cpuMs: after.cpuMs - before.cpuMs, minorFaults: after.minorFaults - before.minorFaults };
process.stdout.write(`${JSON.stringify({ measured: interim ? 'interim' : 'verify', verified: ok.every(Boolean), ...cost, rssMiB: Number(rss) / 1024 })}\n`);
