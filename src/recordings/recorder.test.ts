import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createLogger } from '../logger.ts';
import type { Terminal } from '../core/terminal.ts';
import type { SessionHandler } from '../sessions/index.ts';
import { MemoryTerminal } from '../../test/helpers/memory-terminal.ts';
import { INPUT_NOTICE, Recorder, type RecordingSettings } from './recorder.ts';
import { OPEN_READ_SCRIPT, OPEN_WRITE_SCRIPT, shArgs } from '../sftp/box.ts';

const log = createLogger({ level: 'silent' });

/** A handler that echoes what is typed (as a shell would) and ends on "q". */
function echoHandler(onTerm?: (t: Terminal) => void): SessionHandler {
  return {
    handle: (term) =>
      new Promise<void>((done) => {
        onTerm?.(term);
        term.write('menu> ');
        term.onData((b) => {
          if (b.toString() === 'q') done();
          else term.write(b);
        });
      }),
    exec: async (io, _who, command) => {
      io.stdout.write(`ran ${command}`);
      return command === 'false' ? 1 : 0;
    },
    openContainer: async () =>
      ({
        containerId: 'c1',
        env: { name: 'web' },
        home: '/home/u',
        tools: { run: async () => ({}), capture: async () => ({ code: 0, stdout: Buffer.alloc(0), stderr: '' }) },
      }) as never,
    openPort: async (_who, _host, port) => {
      if (port !== 80) throw Object.assign(new Error('no'), { code: 'PORT_REFUSED' });
      return { connection: { exited: Promise.resolve(0) } as never, environment: 'web' };
    },
  };
}

const casts = (dir: string, account: string) => readdirSync(join(dir, account)).filter((f) => f.endsWith('.cast'));
const events = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(1)
    .map((l) => JSON.parse(l) as [number, string, string]);

async function session(settings: RecordingSettings, inShell: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'islet-recorder-'));
  const rec = new Recorder({ dir, settings: () => settings, inShell: () => inShell, log });
  const t = new MemoryTerminal();
  const h = rec.wrap(echoHandler(), 'ssh');
  const run = h.handle(t, { account: 'alice', environment: 'web', method: 'password' });
  await new Promise((r) => setTimeout(r, 10));
  t.type('secret');
  t.resize({ cols: 120, rows: 40 });
  t.type('q');
  await run;
  const [file] = casts(dir, 'alice');
  const ev = events(join(dir, 'alice', file!));
  rmSync(dir, { recursive: true, force: true });
  return { ev, screen: t.output };
}

test('output is recorded as the trainee saw it; input only when configured, only in a shell, with a notice', async () => {
  const off = await session({ enabled: true, input: false, maxBytes: 0 }, true);
  assert.deepEqual(
    off.ev.map((e) => [e[1], e[2]]),
    [
      ['o', 'menu> '],
      ['o', 'secret'],
      ['r', '120x40'],
      ['x', '0'],
    ],
  );
  assert.ok(!off.screen.includes(INPUT_NOTICE));
  const on = await session({ enabled: true, input: true, maxBytes: 0 }, true);
  assert.ok(on.screen.startsWith(INPUT_NOTICE));
  assert.deepEqual(
    on.ev.filter((e) => e[1] === 'i').map((e) => e[2]),
    ['secret', 'q'],
  );
  // At ISLET's own prompts (not attached to a shell) nothing typed is recorded, though input recording is on.
  const menu = await session({ enabled: true, input: true, maxBytes: 0 }, false);
  assert.deepEqual(
    menu.ev.filter((e) => e[1] === 'i'),
    [],
  );
  assert.ok(menu.ev.some((e) => e[1] === 'o' && e[2] === 'secret'));
});

test("recording on: the engine gets the door's own terminal (identity, class), its write recorded only during the session", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-recorder-'));
  try {
    let seen: Terminal | undefined;
    const rec = new Recorder({ dir, settings: () => ({ enabled: true, input: false, maxBytes: 0 }), inShell: () => true, log });
    const t = new MemoryTerminal();
    const run = rec
      .wrap(
        echoHandler((x) => (seen = x)),
        'ssh',
      )
      .handle(t, { account: 'alice', method: 'password' });
    assert.equal(seen, t);
    assert.ok(seen instanceof MemoryTerminal);
    t.write('during');
    t.type('q');
    await run;
    assert.ok(!Object.hasOwn(t, 'write'), 'the shadowing write is removed at the end');
    t.write('after');
    assert.ok(t.output.endsWith('duringafter'), 'the door still gets every write');
    const [file] = casts(dir, 'alice');
    // Control: the same writes during the session are in the recording; the one after it is not. Writes close
    // together share one output event, and on a busy machine they may not: the text is compared, not the events.
    const ev = events(join(dir, 'alice', file!));
    assert.equal(
      ev
        .filter((e) => e[1] === 'o')
        .map((e) => e[2])
        .join(''),
      'menu> during',
    );
    assert.deepEqual(
      ev.filter((e) => e[1] !== 'o').map((e) => e[2]),
      ['0'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('recording off: the door terminal is handed on unchanged and nothing is written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-recorder-'));
  try {
    let seen: Terminal | undefined;
    const rec = new Recorder({ dir, settings: () => ({ enabled: false, input: false, maxBytes: 0 }), inShell: () => true, log });
    const t = new MemoryTerminal();
    const run = rec
      .wrap(
        echoHandler((x) => {
          seen = x;
        }),
        'ssh',
      )
      .handle(t, { account: 'alice', method: 'password' });
    t.type('q');
    await run;
    assert.equal(seen, t);
    assert.deepEqual(readdirSync(dir), ['.writer']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a gate login records under _gate and moves to the account whose shell it reached', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-recorder-'));
  try {
    let located: Terminal | undefined;
    const rec = new Recorder({
      dir,
      settings: () => ({ enabled: true, input: false, maxBytes: 0 }),
      inShell: () => false,
      locate: async (t) => (t === located ? { account: 'carol', environment: 'web' } : undefined),
      log,
    });
    const t = new MemoryTerminal();
    const run = rec
      .wrap(
        echoHandler((x) => {
          located = x;
        }),
        'web',
      )
      .handle(t, { method: 'gate' });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(casts(dir, '_gate').length, 1);
    await new Promise((r) => setTimeout(r, 2200));
    t.type('hello');
    t.type('q');
    await run;
    assert.equal(casts(dir, '_gate').length, 0);
    const [file] = casts(dir, 'carol');
    assert.match(file!, /^\d{8}T\d{6}Z-web-[0-9a-f]{8}\.cast$/);
    assert.deepEqual(
      events(join(dir, 'carol', file!)).map((e) => e[2]),
      ['menu> ', 'hello', '0'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('commands, file operations and forwards become JSON events of the account', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-recorder-'));
  try {
    const rec = new Recorder({ dir, settings: () => ({ enabled: true, input: false, maxBytes: 0 }), inShell: () => false, log });
    const h = rec.wrap(echoHandler(), 'ssh');
    const who = { account: 'dave', environment: 'web', method: 'publickey' } as const;
    const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), onResize() {}, onSignal() {}, onClose() {} };
    assert.equal(await h.exec(io, who, 'false', {}), 1);
    const c = await h.openContainer(who);
    await c.tools.run(c.containerId, 'sh', shArgs(OPEN_WRITE_SCRIPT, ['/home/u/up.txt', 'trunc', '644', '0']));
    await c.tools.run(c.containerId, 'sh', shArgs(OPEN_READ_SCRIPT, ['/etc/hostname']));
    await c.tools.capture(c.containerId, 'stat', ['-c', '%n', '/']);
    await (await h.openPort(who, 'localhost', 80)).connection.exited;
    await assert.rejects(h.openPort(who, 'localhost', 22));
    await new Promise((r) => setTimeout(r, 10));
    await rec.events.flush();
    const [file] = readdirSync(join(dir, 'dave'));
    assert.match(file!, /^events-\d{4}-\d{2}-\d{2}\.jsonl$/);
    const ev = readFileSync(join(dir, 'dave', file!), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      ev.map(({ time, ms, ...rest }) => (typeof time === 'string' ? rest : 'bad time')),
      [
        { type: 'exec_started', account: 'dave', environment: 'web', door: 'ssh', command: 'false', tty: false },
        { type: 'exec_ended', account: 'dave', environment: 'web', door: 'ssh', exit_code: 1 },
        { type: 'files_opened', account: 'dave', environment: 'web', door: 'ssh' },
        { type: 'file', account: 'dave', environment: 'web', door: 'ssh', op: 'upload', paths: ['/home/u/up.txt'] },
        { type: 'file', account: 'dave', environment: 'web', door: 'ssh', op: 'download', paths: ['/etc/hostname'] },
        { type: 'forward_opened', account: 'dave', door: 'ssh', host: 'localhost', port: 80, environment: 'web' },
        { type: 'forward_closed', account: 'dave', door: 'ssh', host: 'localhost', port: 80, environment: 'web' },
        { type: 'forward_refused', account: 'dave', door: 'ssh', host: 'localhost', port: 22, code: 'PORT_REFUSED' },
      ],
    );
    await rec.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
