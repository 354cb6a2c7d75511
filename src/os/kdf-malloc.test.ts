import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KDF_MALLOC_ENV } from './kdf-malloc.ts';
import { withoutKdfMalloc } from '../../test/helpers/kdf-worker-client.ts';

const node = (args: readonly string[], env: NodeJS.ProcessEnv) =>
  spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', ...args], { env, encoding: 'utf8', timeout: 60_000 });

test('reexecWithKdfMalloc: the same process (pid, argv, Node flags) runs again with the settings; an admin-set one is left alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-kdf-malloc-'));
  try {
    const script = join(dir, 'probe.ts');
    // Prints a line before the call (so a second image shows as a second line) and what the process has after it.
    writeFileSync(
      script,
      `import { writeSync } from 'node:fs';
import { reexecWithKdfMalloc } from ${JSON.stringify(new URL('./kdf-malloc.ts', import.meta.url).href)};
writeSync(1, 'before ' + process.pid + '\\n');
reexecWithKdfMalloc();
const env = process.env;
const seen = { pid: process.pid, argv: process.argv.slice(2), execArgv: process.execArgv };
const malloc = { mmap: env.MALLOC_MMAP_THRESHOLD_ ?? null, trim: env.MALLOC_TRIM_THRESHOLD_ ?? null };
writeSync(1, 'after ' + JSON.stringify({ ...seen, ...malloc }) + '\\n');
`,
    );
    const run = (env: NodeJS.ProcessEnv) => {
      const r = node([script, 'serve', '--x', 'y'], env);
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      return { befores: lines.filter((l) => l.startsWith('before ')).map((l) => Number(l.slice(7))), after: JSON.parse(lines.at(-1)!.slice(6)) };
    };
    const re = run(withoutKdfMalloc());
    assert.equal(re.befores.length, 2, 'the process started twice: once as launched, once re-executed');
    assert.equal(re.befores[0], re.befores[1], 'in the same process (execve keeps the pid)');
    assert.equal(re.after.pid, re.befores[0]);
    assert.deepEqual(re.after.argv, ['serve', '--x', 'y']);
    assert.ok(re.after.execArgv.includes('--disable-warning=ExperimentalWarning'), JSON.stringify(re.after.execArgv));
    assert.equal(re.after.mmap, KDF_MALLOC_ENV.MALLOC_MMAP_THRESHOLD_);
    assert.equal(re.after.trim, KDF_MALLOC_ENV.MALLOC_TRIM_THRESHOLD_);

    // The same probe, with the administrator's own threshold: not started again, nothing added.
    const own = run({ ...withoutKdfMalloc(), MALLOC_MMAP_THRESHOLD_: '1048576' });
    assert.equal(own.befores.length, 1);
    assert.equal(own.after.mmap, '1048576');
    assert.equal(own.after.trim, null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("KDF_MALLOC_ENV: a login's verify on the thread pool reuses the last one's pages instead of faulting in 32 MiB again", () => {
  // One pool thread, so every verify runs on the thread that hashed before; the third verify's faults counted.
  // Without the settings the probe must see the 8192 faults of a fresh 32 MiB, or it could not tell the two apart.
  const probe = new URL('../../test/helpers/verify-probe.ts', import.meta.url).pathname;
  const faults = (env: NodeJS.ProcessEnv) => {
    const r = node([probe, '2', '1'], { ...env, UV_THREADPOOL_SIZE: '1' });
    assert.equal(r.status, 0, r.stderr);
    const m = JSON.parse(r.stdout) as { verified: boolean; minorFaults: number };
    assert.equal(m.verified, true);
    return m.minorFaults;
  };
  const plain = faults(withoutKdfMalloc());
  assert.ok(plain >= 8000, `without the settings a verify faults in its 32 MiB (${plain} faults)`);
  const kept = faults({ ...withoutKdfMalloc(), ...KDF_MALLOC_ENV });
  assert.ok(kept < 1000, `with them the pages are reused (${kept} faults)`);
});
