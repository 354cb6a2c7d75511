/**
 * Issue 12.6: /metrics and /healthz on the operator listener (ISLET_METRICS), scraped
 * around a real trainee journey over OpenSSH; /healthz 503 with an engine that is not
 * there (a driver on a dead socket; control: the real socket answers 200); /metrics
 * refused without the bearer token once `metrics_token` is configured (control: the
 * same scrape succeeds without a token before, and with it after).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsletProcess, repoRoot } from '../helpers/islet-process.ts';
import { TmuxSsh } from '../helpers/tmux-ssh.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { PROMPT, choose, createAccount, gate } from '../helpers/trainee.ts';
import { DockerDriver } from '../../src/runtime/docker/index.ts';
import { ConfigSource } from '../../src/config/config-source.ts';
import { IsletMetrics } from '../../src/metrics/metrics.ts';
import { checkHealth } from '../../src/metrics/health.ts';
import { startMetricsServer } from '../../src/metrics/metrics-server.ts';

const runId = testRunId();
const islet = new IsletProcess(runId);
let base = '';
let web = '';

async function get(path: string, headers: Record<string, string> = {}, at = base): Promise<{ status: number; body: string; type: string }> {
  const r = await fetch(`${at}${path}`, { headers, signal: AbortSignal.timeout(15_000) });
  return { status: r.status, body: await r.text(), type: r.headers.get('content-type') ?? '' };
}

/** The value of one series in Prometheus text (0 when absent). `labels` must be written in the order prom-client prints them. */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('metrics and health', { concurrency: false }, () => {
  before(async () => {
    await islet.start({ ISLET_METRICS: '127.0.0.1:0', ISLET_HTTP: '127.0.0.1:0' });
    const l = await islet.waitForLog((x) => x.event === 'metrics_listening');
    base = `http://127.0.0.1:${Number(l.port)}`;
    web = `http://127.0.0.1:${Number((await islet.waitForLog((x) => x.event === 'web_listening')).port)}`;
  });
  after(async () => {
    await TmuxSsh.closeAll();
    await islet.dispose();
    await sweepTestContainers(runId);
  });

  test('/healthz answers 200 with the engine, store and config ok', async () => {
    const r = await get('/healthz');
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(JSON.parse(r.body), { ok: true, engine: 'ok', store: 'ok', config: 'ok' });
    const onWeb = await get('/healthz', {}, web);
    assert.equal(onWeb.status, 200, 'the web door serves /healthz too');
    assert.deepEqual(JSON.parse(onWeb.body), { ok: true, engine: 'ok', store: 'ok', config: 'ok' });
  });

  test('a trainee journey over SSH moves the counters, histograms and gauges', async () => {
    const before = await get('/metrics');
    assert.equal(before.status, 200);
    assert.match(before.type, /^text\/plain; version=0\.0\.4/);
    assert.equal(value(before.body, 'islet_time_to_shell_seconds_count{path="new"}'), 0);

    const s = await gate(islet.port);
    await createAccount(s, 'alice', 'secret1');
    await choose(s, 'demo');
    await s.waitFor(PROMPT, 60_000);
    const during = (await get('/metrics')).body;
    assert.equal(value(during, 'islet_sessions{door="ssh",state="shell"}'), 1, during);
    assert.ok(value(during, 'islet_connections{door="ssh"}') >= 1);
    assert.equal(value(during, 'islet_logins_total{door="ssh",kind="gate",result="ok",reason="gate"}'), 1, during);
    assert.equal(value(during, 'islet_time_to_shell_seconds_count{path="new"}'), 1);
    assert.ok(value(during, 'islet_time_to_shell_seconds_sum{path="new"}') > 0);
    assert.equal(value(during, 'islet_container_starts_total{result="ok"}'), 1);
    assert.equal(value(during, 'islet_container_start_duration_seconds_count'), 1);
    assert.equal(value(during, 'islet_containers{state="running"}'), 1);
    for (const op of ['create', 'attach', 'start', 'resize']) {
      assert.ok(value(during, `islet_engine_calls_total{operation="${op}"}`) >= 1, `engine ${op} counted`);
    }
    await s.close();

    // A wrong password, then the reattach path.
    const bad = await TmuxSsh.connect({ port: islet.port, user: 'alice+demo' });
    await bad.waitFor(/password:/i);
    await bad.line('wrong-password');
    await bad.waitFor(/password:/i);
    await bad.close();
    const again = await TmuxSsh.connect({ port: islet.port, user: 'alice+demo' });
    await again.waitFor(/password:/i);
    await again.line('secret1');
    await again.waitFor('Welcome back!');
    await islet.waitForLog((l) => l.event === 'environment_attached' && l.path === 'reattach', 20_000);
    const after = (await get('/metrics')).body;
    assert.equal(value(after, 'islet_time_to_shell_seconds_count{path="reattach"}'), 1, after);
    assert.ok(
      value(after, 'islet_logins_total{door="ssh",kind="account",result="failed",reason="bad_password"}') >= 1,
      after
        .split('\n')
        .filter((l) => l.startsWith('islet_logins_total'))
        .join('\n'),
    );
    assert.ok(value(after, 'islet_logins_total{door="ssh",kind="account",result="ok",reason="password"}') >= 1);
    assert.doesNotMatch(after, /alice|secret1|127\.0\.0\.1/, 'no account names, passwords or addresses in labels');
    await again.close();
    // The sessions gauge falls back once the clients are gone.
    const deadline = Date.now() + 10_000;
    const shells = async () => value((await get('/metrics')).body, 'islet_sessions{door="ssh",state="shell"}');
    while ((await shells()) !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(value((await get('/metrics')).body, 'islet_sessions{door="ssh",state="shell"}'), 0);
  });

  test('with metrics_token configured /metrics needs the bearer token (control: served without it before)', async () => {
    assert.equal((await get('/metrics')).status, 200, 'control: no token configured, the operator listener serves it');
    assert.equal((await get('/metrics', {}, web)).status, 404, 'without a token the web door does not serve /metrics at all');
    const f = join(islet.configDir, 'islet.yaml');
    writeFileSync(f, `${readFileSync(f, 'utf8').trimEnd()}\nmetrics_token: "t0ken-for-test"\n`);
    const none = await get('/metrics');
    assert.equal(none.status, 401);
    assert.doesNotMatch(none.body, /islet_/);
    assert.equal((await get('/metrics', { authorization: 'Bearer wrong' })).status, 401);
    const ok = await get('/metrics', { authorization: 'Bearer t0ken-for-test' });
    assert.equal(ok.status, 200);
    assert.match(ok.body, /islet_engine_calls_total/);
    // The web door with a token: refused without it, served with it.
    assert.equal((await get('/metrics', {}, web)).status, 401);
    assert.equal((await get('/metrics', { authorization: 'Bearer wrong' }, web)).status, 401);
    const okWeb = await get('/metrics', { authorization: 'Bearer t0ken-for-test' }, web);
    assert.equal(okWeb.status, 200);
    assert.match(okWeb.body, /islet_sessions/);
    assert.equal((await get('/healthz')).status, 200, '/healthz needs no token');
  });
});

describe('/healthz with the engine unreachable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-health-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('503 naming the engine when the driver points at a dead socket; 200 with the real socket (control)', async () => {
    cpSync(join(repoRoot, 'examples'), join(dir, 'config'), { recursive: true });
    writeFileSync(join(dir, 'islet.db'), '');
    const config = new ConfigSource(join(dir, 'config'), () => {});
    const serve = async (driver: DockerDriver) => {
      const health = () => checkHealth({ driver, config, writable: [dir, join(dir, 'islet.db')] });
      const srv = await startMetricsServer({ metrics: new IsletMetrics(), token: () => '', health }, '127.0.0.1', 0);
      try {
        return await get('/healthz', {}, `http://127.0.0.1:${srv.addr.port}`);
      } finally {
        await srv.close();
      }
    };
    const live = await serve(new DockerDriver());
    assert.equal(live.status, 200, live.body);
    const dead = await serve(new DockerDriver({ socketPath: join(dir, 'no-engine.sock') }));
    assert.equal(dead.status, 503, dead.body);
    const h = JSON.parse(dead.body) as Record<string, unknown>;
    assert.equal(h.ok, false);
    assert.match(String(h.engine), /unreachable|no answer/);
    assert.equal(h.store, 'ok');
    assert.equal(h.config, 'ok');
  });
});
