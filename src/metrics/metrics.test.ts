import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IsletMetrics } from './metrics.ts';
import { meteredDriver, errorCode } from './metered-driver.ts';
import { meteredGuard } from './metered-guard.ts';
import { feedMetricsFromLog } from './log-metrics.ts';
import { observe } from './observability-routes.ts';
import { createLogger } from '../logger.ts';
import { IsletError } from '../core/islet-error.ts';
import type { RuntimeDriver } from '../runtime/runtime-driver.ts';

const series = async (m: IsletMetrics, s: string): Promise<number> => {
  const line = (await m.text()).split('\n').find((l) => l.startsWith(`${s} `));
  return line ? Number(line.slice(s.length + 1)) : 0;
};

test('the driver decorator counts calls, errors by code and container starts, and passes results and errors through', async () => {
  const m = new IsletMetrics();
  let fail: unknown;
  const inner = {
    name: 'stub',
    async inspect() {
      return undefined;
    },
    async start() {
      if (fail) throw fail;
    },
  } as unknown as RuntimeDriver;
  const d = meteredDriver(inner, m);
  assert.equal(d.name, 'stub');
  assert.equal(await d.inspect('x'), undefined);
  await d.start('a');
  fail = new IsletError('RUNTIME_UNAVAILABLE', 'sorry');
  await assert.rejects(d.start('b'), (e) => e === fail);
  fail = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  await assert.rejects(d.start('c'), (e) => e === fail);
  assert.equal(await series(m, 'islet_engine_calls_total{operation="inspect"}'), 1);
  assert.equal(await series(m, 'islet_engine_calls_total{operation="start"}'), 3);
  assert.equal(await series(m, 'islet_engine_errors_total{operation="start",code="RUNTIME_UNAVAILABLE"}'), 1);
  assert.equal(await series(m, 'islet_engine_errors_total{operation="start",code="ECONNREFUSED"}'), 1);
  assert.equal(await series(m, 'islet_container_starts_total{result="ok"}'), 1);
  assert.equal(await series(m, 'islet_container_starts_total{result="error"}'), 2);
  assert.equal(await series(m, 'islet_container_start_duration_seconds_count'), 1);
  assert.equal(errorCode(Object.assign(new Error('x'), { statusCode: 404 })), 'HTTP_404');
  assert.equal(errorCode(Object.assign(new Error('x'), { code: 'not a code!' })), 'Error');
});

test("the guard decorator counts open connections per door and refusals by reason, keeping the guard's decisions", async () => {
  const m = new IsletMetrics();
  class Guard {
    #open = 0;
    admit(ip: string) {
      if (ip === 'bad') return 'too_many_from_address';
      this.#open++;
      return undefined;
    }
    closed(_ip: string) {
      this.#open--;
    }
    get open() {
      return this.#open;
    }
  }
  const g = new Guard();
  const ssh = meteredGuard(g, 'ssh', m);
  assert.equal(ssh.admit('a'), undefined);
  assert.equal(ssh.admit('bad'), 'too_many_from_address');
  assert.equal(await series(m, 'islet_connections{door="ssh"}'), 1);
  assert.equal(ssh.open, 1, 'private state of the class still works through the proxy');
  ssh.closed('a');
  assert.equal(await series(m, 'islet_connections{door="ssh"}'), 0);
  assert.equal(await series(m, 'islet_connections_refused_total{door="ssh",reason="too_many_from_address"}'), 1);
});

test('log events feed logins, time to shell by path, throttles and the starved trainee group; labels never carry user input', async () => {
  const m = new IsletMetrics();
  const stop = feedMetricsFromLog(m);
  const log = createLogger({ destination: '/dev/null' });
  try {
    log.child({ module: 'sshd' }).info({ event: 'account_login_failed', user: 'alice', reason: 'bad_password' }, 'x');
    log.child({ module: 'web' }).info({ event: 'gate_login_ok', method: 'gate', door: 'web' }, 'x');
    log.child({ module: 'session' }).info({ event: 'login_failed', reason: '<script>', account: 'eve' }, 'x');
    log.child({ module: 'runner' }).info({ event: 'environment_attached', ms: 40, path: 'reattach' }, 'x');
    log.child({ module: 'runner' }).info({ event: 'environment_started', ms: 900, path: 'warm' }, 'x');
    log.warn({ event: 'account_throttled', account: 'alice' }, 'x');
    log.child({ module: 'trainee-cpu' }).warn({ event: 'trainee_cpu_starved', waited_percent: 99, used_percent: 0.2, hold_seconds: 10 }, 'x');
    const text = await m.text();
    assert.equal(await series(m, 'islet_logins_total{door="ssh",kind="account",result="failed",reason="bad_password"}'), 1);
    assert.equal(await series(m, 'islet_logins_total{door="web",kind="gate",result="ok",reason="gate"}'), 1);
    assert.equal(await series(m, 'islet_logins_total{door="any",kind="menu",result="failed",reason="other"}'), 1);
    assert.equal(await series(m, 'islet_time_to_shell_seconds_count{path="reattach"}'), 1);
    assert.equal(await series(m, 'islet_time_to_shell_seconds_bucket{le="0.05",path="reattach"}'), 1);
    assert.equal(await series(m, 'islet_time_to_shell_seconds_count{path="warm"}'), 1);
    assert.equal(await series(m, 'islet_account_throttles_total'), 1);
    assert.equal(await series(m, 'islet_trainee_cpu_starved_total'), 1);
    assert.doesNotMatch(text, /alice|eve|script/);
  } finally {
    stop();
  }
  // Unsubscribed: no more counting.
  log.warn({ event: 'account_throttled' }, 'x');
  assert.equal(await series(m, 'islet_account_throttles_total'), 1);
});

test('/metrics: the dedicated listener serves it without a token, a door never does; a token is required everywhere once set', async () => {
  let token = '';
  const d = { metrics: new IsletMetrics(), token: () => token, health: async () => ({ ok: false, engine: 'unreachable: x', store: 'ok', config: 'ok' }) };
  assert.equal((await observe(d, '/metrics', undefined, true))?.status, 200);
  assert.equal((await observe(d, '/metrics', undefined, false))?.status, 404);
  token = 's3cret';
  for (const open of [true, false]) {
    assert.equal((await observe(d, '/metrics', undefined, open))?.status, 401);
    assert.equal((await observe(d, '/metrics', 'Bearer nope', open))?.status, 401);
    assert.equal((await observe(d, '/metrics', 'Bearer s3cret', open))?.status, 200);
  }
  const h = await observe(d, '/healthz', undefined, false);
  assert.equal(h?.status, 503);
  assert.equal(JSON.parse(h!.body).engine, 'unreachable: x');
  assert.equal(await observe(d, '/other', undefined, true), undefined);
});
