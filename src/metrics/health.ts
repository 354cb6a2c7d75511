/**
 * What /healthz reports: the engine answers (an inspect of a name that never exists,
 * with a time limit), the store's database and data directory are writable, and the
 * configuration is loaded without a critical issue in a global file. Healthy only when
 * all three hold; each check says why not, in words for the operator.
 */
import { accessSync, constants } from 'node:fs';
import type { RuntimeDriver } from '../runtime/runtime-driver.ts';
import type { ConfigSource } from '../config/config-source.ts';

export interface HealthReport {
  readonly ok: boolean;
  readonly engine: 'ok' | string;
  readonly store: 'ok' | string;
  readonly config: 'ok' | string;
}

export interface HealthDeps {
  readonly driver: RuntimeDriver;
  /** Files and directories that must be writable (the store's database and its directory). */
  readonly writable: readonly string[];
  readonly config: ConfigSource;
  readonly timeoutMs?: number;
}

const PROBE_NAME = 'islet-healthz-probe-that-never-exists';

async function engine(d: HealthDeps): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${d.timeoutMs ?? 2000} ms`), d.timeoutMs ?? 2000);
  });
  try {
    const answer = d.driver.inspect(PROBE_NAME).then(
      () => 'ok',
      (err: unknown) => `unreachable: ${String((err as Error)?.message ?? err).slice(0, 200)}`,
    );
    return await Promise.race([answer, limit]);
  } finally {
    clearTimeout(timer);
  }
}

function store(d: HealthDeps): string {
  for (const p of d.writable) {
    try {
      accessSync(p, constants.W_OK);
    } catch (err) {
      return `not writable: ${p} (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
    }
  }
  return 'ok';
}

function config(d: HealthDeps): string {
  try {
    const c = d.config.current();
    const broken = c.issues.filter((i) => i.severity === 'critical' && /(^|\/)(islet\.yaml|islet\.conf|docker\.conf)$/.test(i.file));
    return broken.length ? `critical issue in ${broken[0]!.file}` : 'ok';
  } catch (err) {
    return `not loaded: ${String((err as Error)?.message ?? err).slice(0, 200)}`;
  }
}

export async function checkHealth(d: HealthDeps): Promise<HealthReport> {
  const [e, s, c] = [await engine(d), store(d), config(d)];
  return { ok: e === 'ok' && s === 'ok' && c === 'ok', engine: e, store: s, config: c };
}
