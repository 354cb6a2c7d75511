/**
 * The watch and broadcast routes on fastify with a stub ConsoleGuard (the real login is console-login.ts's
 * business): a watch over a real WebSocket gets the screen first, then live output; asks to type, keys only
 * after the trainee's y; broadcasts need the change hook; every step is audited with the instructor's name.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import { WebSocket } from 'ws';
import { ShellTaps } from '../sessions/shell-taps.ts';
import { Broadcaster } from '../sessions/broadcaster.ts';
import { MenuRoster } from '../sessions/menu-roster.ts';
import { ScreenModels } from '../terminal-model/screen-models.ts';
import type { ConfigSource } from '../config/config-source.ts';
import { MemoryTerminal } from '../../test/helpers/memory-terminal.ts';
import { memoryLogger } from '../../test/helpers/unit-world.ts';
import type { ConsoleGuard } from './console-guard.ts';
import { watchRoutes } from './watch-routes.ts';
import { broadcastRoutes } from './broadcast-routes.ts';

/** A guard that trusts an `x-test-instructor` header, and a `x-csrf-token: ok` for changes. */
function stubGuard() {
  const audits: Array<{ instructor: string; action: string; detail: Record<string, unknown> }> = [];
  const who = new WeakMap<FastifyRequest, string>();
  const authenticated = async (req: FastifyRequest, reply: FastifyReply) => {
    const name = req.headers['x-test-instructor'];
    if (typeof name !== 'string') return reply.code(401).send({ code: 'CONSOLE_UNAUTHENTICATED' });
    who.set(req, name);
  };
  const guard: ConsoleGuard = {
    authenticated,
    change: async (req, reply) => {
      await authenticated(req, reply);
      if (!reply.sent && req.headers['x-csrf-token'] !== 'ok') return reply.code(403).send({ code: 'CONSOLE_CSRF' });
    },
    instructorOf: (req) => who.get(req)!,
    audit: (instructor, action, detail) => audits.push({ instructor, action, detail: { ...detail } }),
  };
  return { guard, audits };
}

async function setup(t: TestContext) {
  const screens = new ScreenModels({ enabled: () => true, redraw: () => undefined });
  const taps = new ShellTaps({ screens, redraw: () => undefined });
  const roster = new MenuRoster();
  const broadcaster = new Broadcaster(taps, roster, memoryLogger().log);
  const size = { cols: 80, rows: 24 };
  const term = new MemoryTerminal();
  const typed: string[] = [];
  const model = screens.join('c1', size)!;
  const tap = taps.join('c1', { account: 'alice', environment: 'demo' }, { term, input: (b) => typed.push(b.toString()), model: (b) => model.feed(b) }, size);
  const out = (s: string) => {
    const b = Buffer.from(s);
    term.write(b);
    model.feed(b);
    tap.output(b);
  };
  const { guard, audits } = stubGuard();
  const config = { current: () => ({ environments: [{ name: 'demo', enabled: true }] }) } as unknown as ConfigSource;
  const app = Fastify();
  await app.register(websocket);
  await app.register(async (f) => {
    await watchRoutes(guard, { taps })(f);
    await broadcastRoutes(guard, { broadcaster, taps, roster, config })(f);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await app.close();
    screens.close();
  });
  const port = (app.server.address() as { port: number }).port;
  return { app, port, term, typed, out, tap, audits };
}

/** A WebSocket client that keeps text frames (parsed) and the output bytes. */
function client(port: number, query: string, headers: Record<string, string>) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/console/ws/watch?${query}`, { headers });
  const c = { ws, frames: [] as Array<Record<string, unknown>>, out: '', closed: 0 };
  ws.on('message', (d: Buffer, binary: boolean) => {
    if (binary) c.out += d.toString();
    else c.frames.push(JSON.parse(d.toString()) as Record<string, unknown>);
  });
  ws.on('close', (code) => {
    c.closed = code;
  });
  ws.on('error', () => undefined);
  return c;
}

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('watch over a WebSocket: refused without the guard; screen first, live, ask, keys only after yes, audited', async (t) => {
  const s = await setup(t);
  s.out('~ $ echo hi\r\nhi\r\n~ $ ');
  // Control first: without the guard's header the upgrade is refused.
  const anon = client(s.port, 'account=alice&environment=demo', {});
  await until('refused', () => anon.closed !== 0 || anon.ws.readyState === WebSocket.CLOSED);
  assert.equal(anon.out, '');
  const list = await s.app.inject({ method: 'GET', url: '/console/api/shells' });
  assert.equal(list.statusCode, 401);
  const listed = await s.app.inject({ method: 'GET', url: '/console/api/shells', headers: { 'x-test-instructor': 'ada' } });
  assert.deepEqual(listed.json(), { shells: [{ account: 'alice', environment: 'demo', terminals: 1, watchers: [], size: { cols: 80, rows: 24 } }] });

  const c = client(s.port, 'account=alice&environment=demo', { 'x-test-instructor': 'ada' });
  await until('watching', () => c.frames.some((f) => f.t === 'watching'));
  assert.deepEqual(c.frames[0], { t: 'size', cols: 80, rows: 24 });
  assert.match(c.out, /echo hi[\s\S]*hi/, 'the current screen first');
  s.out('live output\r\n');
  await until('live', () => c.out.includes('live output'));
  c.ws.send(Buffer.from('echo nope\r'), { binary: true });
  c.ws.send(JSON.stringify({ t: 'ask' }));
  await until('asked', () => c.frames.some((f) => f.t === 'typing' && f.state === 'asked'));
  assert.equal(s.tap.fromTrainee(Buffer.from('y')), true, 'the y is an answer, not input');
  await until('granted', () => c.frames.some((f) => f.t === 'typing' && f.state === 'granted'));
  c.ws.send(Buffer.from('echo yes\r'), { binary: true });
  await until('typed', () => s.typed.includes('echo yes\r'));
  assert.deepEqual(s.typed, ['echo yes\r'], 'nothing sent before the yes reached the shell');
  c.ws.close();
  await until('watch_end audited', () => s.audits.some((a) => a.action === 'watch_end'));
  assert.deepEqual(
    s.audits.map((a) => [a.instructor, a.action]),
    [
      ['ada', 'watch_start'],
      ['ada', 'type_ask'],
      ['ada', 'type_granted'],
      ['ada', 'watch_input'],
      ['ada', 'watch_end'],
    ],
  );
  assert.equal(s.audits.find((a) => a.action === 'watch_input')?.detail.bytes, 'echo yes\r'.length);
  // A shell nobody is attached to cannot be watched.
  const none = client(s.port, 'account=bob&environment=demo', { 'x-test-instructor': 'ada' });
  await until('error', () => none.frames.some((f) => f.t === 'error'));
  assert.equal(none.frames.find((f) => f.t === 'error')?.code, 'ADMIN_NOT_FOUND');
});

test('broadcast needs the change hook (CSRF); it reaches the shell and is audited; targets list environments and accounts', async (t) => {
  const s = await setup(t);
  s.out('~ $ ');
  const body = { message: 'hello room' };
  const noCsrf = await s.app.inject({ method: 'POST', url: '/console/api/broadcast', headers: { 'x-test-instructor': 'ada' }, payload: body });
  assert.equal(noCsrf.statusCode, 403);
  assert.doesNotMatch(s.term.output, /hello room/);
  const ok = await s.app.inject({
    method: 'POST',
    url: '/console/api/broadcast',
    headers: { 'x-test-instructor': 'ada', 'x-csrf-token': 'ok' },
    payload: body,
  });
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(ok.json(), { shells: 1, menus: 0 });
  assert.match(s.term.output, /\[ISLET\] ada: hello room/);
  assert.deepEqual(s.audits.at(-1)?.action, 'broadcast');
  const empty = await s.app.inject({
    method: 'POST',
    url: '/console/api/broadcast',
    headers: { 'x-test-instructor': 'ada', 'x-csrf-token': 'ok' },
    payload: { message: '\x1b\x07' },
  });
  assert.equal(empty.statusCode, 400);
  assert.equal(empty.json().code, 'BROADCAST_INVALID');
  const targets = await s.app.inject({ method: 'GET', url: '/console/api/broadcast/targets', headers: { 'x-test-instructor': 'ada' } });
  assert.deepEqual(targets.json(), { environments: ['demo'], accounts: ['alice'], maxLength: 500 });
});
