/**
 * glibc malloc settings for a process that runs scrypt at full cost (N=2^15, r=8), and the server's re-execution
 * under them.
 *
 * Why: such a hash allocates 32 MiB and a little more, above glibc's largest dynamic mmap threshold (32 MiB), so by
 * default every hash maps fresh pages and unmaps them after: 8192 first-touch page faults a hash, which on a VM cost
 * more than the hash itself (bench/seal-cost.ts, bench/results/2026-12-05-seal-cost.json: a seal in the hashing
 * process 177.5 ms of CPU by default against 62.0 ms with these; a login's verify on the server's pool 160.0
 * against 59.5 ms). With the threshold above the allocation and trimming held off, the process keeps those pages
 * and reuses them for the next hash.
 *
 * The price: a thread that has run a full-cost hash keeps about 32 MiB mapped while the process lives. In the
 * server those are libuv's pool threads (UV_THREADPOOL_SIZE, 4 by default), so at most about 128 MiB after logins
 * of sealed accounts. Ignored by other C libraries (musl), where nothing changes.
 */
export const KDF_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: String(64 * 1024 * 1024),
  MALLOC_TRIM_THRESHOLD_: String(128 * 1024 * 1024),
};

/**
 * Replaces this process (same pid, same argv and Node flags, `process.execve`) with one whose environment adds
 * KDF_MALLOC_ENV, when glibc's malloc reads its settings at start and neither is set: returns only when nothing
 * was done. An administrator's own MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_ is left alone.
 *
 * Contract: call it first, before anything is opened, written or listened on (the image is replaced: open
 * descriptors without close-on-exec survive, buffered output and exit handlers do not). `islet serve` calls it
 * from src/cli/islet.ts before the command modules load, so the restart costs one bare start of Node.
 */
export function reexecWithKdfMalloc(env: NodeJS.ProcessEnv = process.env): void {
  if (process.platform !== 'linux' || typeof process.execve !== 'function') return;
  if (Object.keys(KDF_MALLOC_ENV).some((k) => env[k] !== undefined)) return;
  if (!glibc()) return;
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], { ...env, ...KDF_MALLOC_ENV });
}

/** True when this Node runs on glibc (the settings above are glibc's). */
function glibc(): boolean {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return typeof header?.glibcVersionRuntime === 'string';
}
