/**
 * FakeDriver: the same RuntimeDriver case suite the Docker driver passes
 * against the real engine (twice: with every operation, and declaring that it
 * lacks all optional ones, where the suite must see the explicit refusal),
 * then the scripted misbehaviour the unit tests of sessions and lifecycle use.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { environmentSchema, type Environment } from '../../config/schema.ts';
import { IsletError } from '../../core/islet-error.ts';
import { PROMPT, Screen } from '../conformance-screen.ts';
import { runtimeDriverConformance } from '../runtime-driver.case.ts';
import { OPTIONAL_OPERATIONS } from '../runtime-driver.ts';
import { MSG_BUSY } from '../docker/index.ts';
import { FakeDriver, FakeEngine } from './index.ts';

const engine = new FakeEngine();
runtimeDriverConformance(() => new FakeDriver(engine), { image: 'islet/demo:latest', labels: { 'islet.test': 'fake' }, testTimeoutMs: 20_000, grouped: true });

const bare = new FakeEngine();
runtimeDriverConformance(() => new FakeDriver(bare, { unsupported: OPTIONAL_OPERATIONS }), {
  image: 'islet/demo:latest',
  labels: { 'islet.test': 'fake-bare' },
  testTimeoutMs: 20_000,
});

const env = (input: Record<string, unknown> = {}): Environment => ({
  ...environmentSchema.parse({ image: 'islet/demo:latest', ...input }),
  name: 'demo',
  source: 'fake-driver.test',
});
const code = (c: string) => (e: unknown) => e instanceof IsletError && e.code === c;

describe('FakeDriver scripted behaviour', () => {
  test('slow start: start() takes the scripted time, then the prompt comes', async () => {
    const e = new FakeEngine();
    const d = new FakeDriver(e);
    e.behaviour.startDelayMs = 1000;
    const info = await d.create({ name: 'slow', env: env(), labels: {} });
    const screen = new Screen(await d.attach(info.id));
    const t0 = performance.now();
    await d.start(info.id);
    assert.ok(performance.now() - t0 >= 950, 'start waited');
    await screen.waitFor(PROMPT);
    e.behaviour.startDelayMs = 0;
    const t1 = performance.now();
    await d.start(info.id);
    assert.ok(performance.now() - t1 < 950, 'control: without the script start does not wait');
  });

  test('never starts: start() fails with RUNTIME_UNAVAILABLE and the busy message after the call limit; the instance stays created', async () => {
    const e = new FakeEngine();
    const d = new FakeDriver(e, { callTimeoutMs: 100 });
    e.behaviour.neverStarts = true;
    const info = await d.create({ name: 'hung', env: env(), labels: {} });
    await assert.rejects(d.start(info.id), (err: unknown) => code('RUNTIME_UNAVAILABLE')(err) && (err as IsletError).userMessage === MSG_BUSY);
    assert.equal((await d.inspect(info.id))?.state, 'created');
  });

  test('fails on create/attach/remove as scripted, and nothing is left behind by a failed create', async () => {
    const e = new FakeEngine();
    const d = new FakeDriver(e);
    e.behaviour.fail = { create: 'RUNTIME_FAILED' };
    await assert.rejects(d.create({ name: 'x', env: env(), labels: {} }), code('RUNTIME_FAILED'));
    assert.deepEqual(await d.find({}), []);
    e.behaviour.fail = { attach: 'RUNTIME_UNAVAILABLE', remove: 'RUNTIME_FAILED' };
    const info = await d.create({ name: 'x', env: env(), labels: {} });
    await assert.rejects(d.attach(info.id), code('RUNTIME_UNAVAILABLE'));
    await assert.rejects(d.remove(info.id), code('RUNTIME_FAILED'));
    assert.ok(await d.inspect(info.id), 'a failed remove removes nothing');
    e.behaviour.fail = {};
    await d.remove(info.id);
    assert.equal(await d.inspect(info.id), undefined, 'control: without the script remove works');
    assert.deepEqual(
      e.calls.filter((c) => c === 'create'),
      ['create', 'create'],
      'calls are recorded',
    );
  });

  test('exits: the main process ends with the scripted status at start, or when the test says so', async () => {
    const e = new FakeEngine();
    const d = new FakeDriver(e);
    const info = await d.create({ name: 'x', env: env(), labels: {} });
    const att = await d.attach(info.id);
    await d.start(info.id);
    await e.exit(info.id, 7);
    await att.ended;
    assert.deepEqual([(await d.inspect(info.id))?.state, (await d.inspect(info.id))?.exitCode], ['exited', 7]);
    e.behaviour.exitOnStart = 1;
    await d.start(info.id);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual([(await d.inspect(info.id))?.state, (await d.inspect(info.id))?.exitCode], ['exited', 1]);
  });

  test('a user the image lacks: the instance cannot start (RUNTIME_FAILED at start, not at create); an exec as it ends with 126', async () => {
    const d = new FakeDriver();
    const info = await d.create({ name: 'x', env: env({ user: 'nobody-here' }), labels: {} });
    await assert.rejects(d.start(info.id), code('RUNTIME_FAILED'));
    const ok = await d.create({ name: 'y', env: env(), labels: {} });
    await d.start(ok.id);
    const e = await d.exec(ok.id, { cmd: ['id', '-un'], user: 'nobody-here' });
    let out = '';
    e.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    assert.equal(await e.exited, 126);
    assert.match(out, /unable to find user nobody-here/);
  });

  test('a read-only root refuses archives outside /tmp and the home volume (403), as Docker does', async () => {
    const d = new FakeDriver();
    const info = await d.create({ name: 'ro', env: env({ user: 'student', read_only_root: true }), labels: {} });
    const forbidden = (err: unknown) => code('RUNTIME_FAILED')(err) && (err as IsletError).detail.statusCode === 403;
    await assert.rejects(d.putArchive(info.id, '/', Buffer.alloc(1024)), forbidden);
    await d.putArchive(info.id, '/home/student', Buffer.alloc(1024));
  });

  test("an unsafe mount is refused at create with the Docker driver's own check", async () => {
    const d = new FakeDriver();
    await assert.rejects(d.create({ name: 'x', env: env({ mounts: [{ source: '/var/run', target: '/mnt' }] }), labels: {} }), code('CONFIG_FORBIDDEN'));
  });
});

test('the fake shell: Ctrl-C interrupts the foreground command (status 130) but not background jobs; unknown commands say "not found" (127)', async () => {
  const d = new FakeDriver();
  const info = await d.create({ name: 'sh', env: env({ user: 'student' }), labels: {}, tty: { cols: 80, rows: 24 } });
  const att = await d.attach(info.id);
  const screen = new Screen(att);
  await d.start(info.id);
  await screen.waitFor(PROMPT);
  const type = async (line: string, re: RegExp) => {
    const from = screen.mark();
    att.input.write(line);
    return screen.waitFor(re, { from });
  };
  await type('sleep 500 & echo bg-started\r', /bg-started[\s\S]*\$ $/);
  await type('sleep 600\r', /sleep 600\r\n/);
  await type('\x03', /\^C[\s\S]*\$ $/);
  await type('echo "status $?"\r', /status 130/);
  await type('ps\r', /sleep 500[\s\S]*\$ $/);
  assert.doesNotMatch(screen.text.slice(screen.text.lastIndexOf('PID')), /sleep 600/);
  await type('frobnicate\r', /sh: frobnicate: not found/);
  await type('echo "status $?"\r', /status 127/);
  att.detach();
});
