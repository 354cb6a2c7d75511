/**
 * patches/docker-modem+5.0.7.patch: docker-modem formats each request's options (its whole body included) with
 * util.inspect only when its debug output is on. The control turns the debug output on and sees the call, so the
 * probe (a wrapped util.inspect) is proven to catch it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import util from 'node:util';

const require = createRequire(import.meta.url);

test("docker-modem does not format a request's options while its debug output is off; on, it does (control)", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-modem-'));
  const sock = join(dir, 'engine.sock');
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(sock, r));
  // The debug module docker-modem itself loads (resolved from its own directory, whatever npm hoists).
  const debug = createRequire(require.resolve('docker-modem'))('debug') as { enable(ns: string): void; disable(): string; log: (...a: unknown[]) => void };
  const log = debug.log;
  debug.log = () => undefined; // the control's debug lines are not the test's output
  const Modem = require('docker-modem') as new (o: {
    socketPath: string;
  }) => {
    dial(o: object, cb: (err: unknown, data: unknown) => void): void;
  };
  const inspect = util.inspect;
  let inspected = 0;
  const marker = { islet_marker: 'modem-patch' };
  (util as { inspect: unknown }).inspect = Object.assign((v: unknown, o?: object) => {
    if (JSON.stringify(v)?.includes('modem-patch')) inspected++;
    return inspect(v, o);
  }, inspect);
  t.after(() => {
    (util as { inspect: unknown }).inspect = inspect;
    debug.disable();
    debug.log = log;
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const call = (modem: InstanceType<typeof Modem>) =>
    new Promise<unknown>((resolve, reject) =>
      modem.dial({ path: '/containers/create?', method: 'POST', options: marker, statusCodes: { 200: true } }, (err, data) =>
        err ? reject(err) : resolve(data),
      ),
    );
  assert.deepEqual(await call(new Modem({ socketPath: sock })), { ok: true });
  assert.equal(inspected, 0, 'formatted with debug output off');
  debug.enable('modem');
  assert.deepEqual(await call(new Modem({ socketPath: sock })), { ok: true });
  assert.ok(inspected > 0, 'the control: with debug output on, the options are formatted');
});
