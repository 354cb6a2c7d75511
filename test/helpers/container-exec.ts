/**
 * Runs a shell script inside a container through the driver's exec, by
 * default as root: the security tests use it for controls (what root, or a
 * test-made setup, can do in the very container a trainee is refused in) and
 * to plant test fixtures a trainee could not make. Never used as a trainee.
 */
import type { RuntimeDriver } from '../../src/runtime/runtime-driver.ts';

export interface ExecResult {
  readonly out: string;
  readonly code: number;
}

/** `sh -c script` in `container` (id or name) as `user`; stdout and stderr merged in `out`, CR-free and trimmed. */
export async function execIn(driver: RuntimeDriver, container: string, script: string, user = 'root', timeoutMs = 30_000): Promise<ExecResult> {
  const x = await driver.exec(container, { cmd: ['/bin/sh', '-c', script], user });
  x.stdin.end();
  let out = '';
  x.stdout.on('data', (b: Buffer) => {
    out += b.toString('utf8');
  });
  x.stderr.on('data', (b: Buffer) => {
    out += b.toString('utf8');
  });
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    x.exited,
    new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`execIn: ${JSON.stringify(script)} did not finish within ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  return { out: out.replace(/\r/g, '').trimEnd(), code };
}

/** Same as execIn, but throws (with the output) unless the script exits 0: for fixtures that must be in place. */
export async function mustExecIn(driver: RuntimeDriver, container: string, script: string, user = 'root'): Promise<string> {
  const r = await execIn(driver, container, script, user);
  if (r.code !== 0) throw new Error(`setup in ${container} as ${user} failed (exit ${r.code}): ${script}\n${r.out}`);
  return r.out;
}
