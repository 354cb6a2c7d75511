/**
 * Driver-agnostic conformance suite for RuntimeDriver. Every driver (Docker
 * now; Swarm, Kubernetes later) runs it against its real backend:
 *
 *   runtimeDriverConformance(() => new MyDriver(...), { image, labels: testLabels(runId) });
 *
 * It registers node:test tests in a `describe` block. The image must run an
 * interactive POSIX shell as its CMD with busybox/coreutils-style tools
 * (echo, stty, hostname, id, pwd, ps, sleep) and have the unprivileged user
 * `opts.user` (default `student`) with home `/home/<user>`.
 * `scripts/build-demo-image.sh` builds such an image (islet/demo:latest).
 *
 * Every instance it creates carries `opts.labels` plus a per-suite label, and
 * the suite removes them all in `after()`, even when tests fail.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { environmentSchema, type Environment, type EnvironmentInput } from '../config/schema.ts';
import { IsletError } from '../core/islet-error.ts';
import { pack, extract } from 'tar-stream';
import type { Readable } from 'node:stream';
import type { Attachment, Execution, InstanceInfo, OptionalOperation, RuntimeDriver } from './runtime-driver.ts';

export interface ConformanceOptions {
  /** An image present on the backend (see the file comment for what it must contain). */
  readonly image: string;
  /** Labels put on every instance the suite creates (e.g. `{ 'islet.test': runId }`). */
  readonly labels: Readonly<Record<string, string>>;
  /** Unprivileged user in the image (default `student`). */
  readonly user?: string;
  /** Per-test time limit in ms (default 60000). */
  readonly testTimeoutMs?: number;
}

const LABEL_SUITE = 'islet.conformance';
const LABEL_CASE = 'islet.conformance.case';

/** What a trainee would see: the attachment's output, with ANSI escape sequences removed. */
export class Screen {
  #raw = '';
  #waiters = new Set<() => void>();

  constructor(att: Attachment) {
    att.output.on('data', (b: Buffer | string) => {
      this.#raw += b.toString();
      for (const w of this.#waiters) w();
    });
  }

  get text(): string {
    // Terminal escapes (CSI, charset selection, keypad modes) are not text.
    return this.#raw.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]/g, '');
  }

  /** Position to search from, so an earlier match does not satisfy a later wait. */
  mark(): number {
    return this.text.length;
  }

  /** Waits until `re` matches the text after `from`; on timeout throws with the screen's tail. */
  waitFor(re: RegExp, { from = 0, timeoutMs = 10_000 }: { from?: number; timeoutMs?: number } = {}): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const m = re.exec(this.text.slice(from));
        if (m) {
          done();
          resolve(m);
        }
        return !!m;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${re}; screen ends with: ${JSON.stringify(this.text.slice(-400))}`));
      }, timeoutMs);
      const waiter = (): void => {
        check();
      };
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      this.#waiters.add(waiter);
      check();
    });
  }
}

/** A shell prompt at the end of the screen (`$ ` or `# `). */
export const PROMPT = /[$#] $/;

/**
 * Runs an execution to its end with `input` on stdin (null: stdin stays open, as a TTY client leaves it; with a
 * TTY the engine may end the whole stream when stdin ends); its exit status and both outputs.
 */
async function collect(e: Execution, input: string | null = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  e.stdout.on('data', (b: Buffer) => {
    out += b.toString();
  });
  e.stderr.on('data', (b: Buffer) => {
    err += b.toString();
  });
  if (input !== null) e.stdin.end(input);
  const code = await within(e.exited, 15_000, 'the execution ends');
  await new Promise((r) => setImmediate(r));
  return { code, out, err };
}

/** A tar archive of the given entries (a name ending in `/` is a directory). */
async function tarOf(entries: { name: string; body?: string; uid?: number }[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const e of entries) {
    const owner = { uid: e.uid ?? 0, gid: e.uid ?? 0 };
    if (e.name.endsWith('/')) p.entry({ name: e.name, type: 'directory', mode: 0o755, ...owner });
    else p.entry({ name: e.name, mode: 0o644, ...owner }, e.body ?? '');
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** The entries of a tar stream: name (without a trailing `/`) → body and uid. */
async function untar(stream: Readable): Promise<Map<string, { body: string; uid: number }>> {
  const got = new Map<string, { body: string; uid: number }>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.on('entry', (h, s, next) => {
    let body = '';
    s.on('data', (c: unknown) => {
      body += String(c);
    });
    s.on('end', () => {
      got.set(h.name.replace(/\/$/, ''), { body, uid: h.uid ?? 0 });
      next();
    });
  });
  stream.pipe(ex);
  await within(done, 15_000, 'the archive is read');
  return got;
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export function runtimeDriverConformance(makeDriver: () => RuntimeDriver, opts: ConformanceOptions): void {
  const suite = randomBytes(4).toString('hex');
  const user = opts.user ?? 'student';
  const timeout = opts.testTimeoutMs ?? 60_000;
  let driver: RuntimeDriver;

  const environment = (input: Partial<EnvironmentInput> = {}, name = 'conf'): Environment => ({
    ...environmentSchema.parse({ image: opts.image, memory: '64m', ...input }),
    name,
    source: 'conformance',
  });
  const labels = (kase: string): Record<string, string> => ({ ...opts.labels, [LABEL_SUITE]: suite, [LABEL_CASE]: kase });
  const nameFor = (kase: string): string => `islet-conf-${suite}-${kase}`;

  /** create + attach + start, then wait for the prompt. */
  async function launch(
    kase: string,
    input: Partial<EnvironmentInput> = {},
    envName = 'conf',
  ): Promise<{ info: InstanceInfo; att: Attachment; screen: Screen; ms: number }> {
    const t0 = performance.now();
    const info = await driver.create({
      name: nameFor(kase),
      env: environment(input, envName),
      labels: labels(kase),
      tty: { cols: 80, rows: 24 },
      term: 'xterm',
    });
    const att = await driver.attach(info.id);
    const screen = new Screen(att);
    await driver.start(info.id);
    const ms = performance.now() - t0;
    await screen.waitFor(PROMPT);
    return { info, att, screen, ms };
  }

  /** Types a line (as a terminal does, ending in CR) and waits for `re` in what follows. */
  async function run(att: Attachment, screen: Screen, line: string, re: RegExp): Promise<RegExpExecArray> {
    const from = screen.mark();
    att.input.write(`${line}\r`);
    return screen.waitFor(re, { from });
  }

  /**
   * Types `ps` until its listing shows `re`, for up to 10 s: the shell prints what follows `job &` before the
   * job's own process has exec'd, which on a loaded machine can take longer than a reattach (seen in CI:
   * the job still listed as a forked `/bin/sh -l`).
   */
  async function psShows(att: Attachment, screen: Screen, re: RegExp): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const from = screen.mark();
      att.input.write('ps\r');
      await screen.waitFor(/PID[\s\S]*[$#] $/, { from });
      if (re.test(screen.text.slice(from))) return;
      if (Date.now() > deadline) throw new Error(`ps never showed ${re}; its last listing: ${JSON.stringify(screen.text.slice(from).slice(-400))}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async function settled(id: string): Promise<InstanceInfo | undefined> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const i = await driver.inspect(id);
      if (!i || (i.state !== 'running' && i.state !== 'restarting') || Date.now() > deadline) return i;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * A backend that lacks an optional operation says so (`unsupported`) and refuses it with RUNTIME_UNSUPPORTED:
   * asserted here (returns true, the case then ends); false when the backend has the operation.
   */
  async function lacks(op: OptionalOperation, t: TestContext, call: () => Promise<unknown>): Promise<boolean> {
    if (!driver.unsupported?.has(op)) return false;
    await assert.rejects(call(), (e: unknown) => e instanceof IsletError && e.code === 'RUNTIME_UNSUPPORTED' && e.userMessage.length > 0);
    t.diagnostic(`${driver.name} declares it lacks ${op}: its explicit RUNTIME_UNSUPPORTED refusal was asserted`);
    return true;
  }

  const isFailed = (e: unknown): boolean => e instanceof IsletError && e.code === 'RUNTIME_FAILED' && e.userMessage.length > 0;

  describe('RuntimeDriver conformance', { timeout }, () => {
    before(() => {
      driver = makeDriver();
    });
    after(async () => {
      // Sequential on purpose: a few instances, and some engines dislike parallel removals.
      for (const i of await driver.find({ [LABEL_SUITE]: suite })) await driver.remove(i.id).catch(() => undefined);
      const left = await driver.find({ [LABEL_SUITE]: suite });
      assert.deepEqual(
        left.map((i) => i.name),
        [],
        'the suite leaves no instances behind',
      );
    });

    test('the image is present: hasImage and ensureImage succeed without pulling', async () => {
      assert.equal(await driver.hasImage(opts.image), true);
      const lines: string[] = [];
      await driver.ensureImage(opts.image, (l) => lines.push(l));
      assert.deepEqual(lines, []);
    });

    test('create puts the labels on the instance; inspect by id and name; find returns it by label', async () => {
      const info = await driver.create({ name: nameFor('labels'), env: environment(), labels: labels('labels') });
      assert.equal(info.name, nameFor('labels'));
      assert.equal(info.state, 'created');
      assert.ok(info.id.length > 0);
      for (const [k, v] of Object.entries(labels('labels'))) assert.equal(info.labels[k], v, `label ${k} on create`);
      for (const key of [info.id, info.name]) {
        const got = await driver.inspect(key);
        assert.ok(got, `inspect(${key})`);
        assert.equal(got.id, info.id);
        assert.equal(got.name, info.name);
        assert.equal(got.state, 'created');
        assert.equal(got.exitCode, undefined);
        assert.ok(got.createdAt instanceof Date && !Number.isNaN(got.createdAt.getTime()));
        for (const [k, v] of Object.entries(labels('labels'))) assert.equal(got.labels[k], v, `label ${k} on inspect`);
      }
      const found = await driver.find({ [LABEL_SUITE]: suite, [LABEL_CASE]: 'labels' });
      assert.deepEqual(
        found.map((i) => i.id),
        [info.id],
      );
      assert.equal(found[0]!.name, info.name);
      assert.equal(found[0]!.state, 'created');
      assert.deepEqual(await driver.find({ [LABEL_SUITE]: suite, [LABEL_CASE]: 'no-such-case' }), []);
      assert.deepEqual(await driver.find({ ...opts.labels, [LABEL_CASE]: 'labels', [LABEL_SUITE]: `${suite}x` }), []);
    });

    test('run with a TTY: attach before start, see the prompt, run a command', async (t: TestContext) => {
      const { info, att, screen, ms } = await launch('tty');
      t.diagnostic(`create+attach+start: ${ms.toFixed(1)} ms`);
      assert.equal((await driver.inspect(info.id))?.state, 'running');
      await run(att, screen, 'echo hi-$((6*7))', /hi-42/);
      att.detach();
      await within(att.ended, 5000, 'ended after detach');
    });

    test('start is idempotent on a running instance', async () => {
      const { info, att } = await launch('start-twice');
      await driver.start(info.id);
      assert.equal((await driver.inspect(info.id))?.state, 'running');
      att.detach();
    });

    test('resize is applied to the TTY', async () => {
      const { info, att, screen } = await launch('resize');
      await driver.resize(info.id, { cols: 93, rows: 31 });
      await run(att, screen, 'stty size', /31 93/);
      await driver.resize(info.id, { cols: 120, rows: 40 });
      await run(att, screen, 'stty size', /40 120/);
      att.detach();
    });

    test('env vars, hostname, user and workdir are as configured', async () => {
      const a = await launch('identity', { user, workdir: '/tmp', hostname: 'conf-host', env: { ISLET_CONF: 'v-1', ISLET_SPACE: 'a b' } });
      await run(
        a.att,
        a.screen,
        'echo "H=$(hostname) U=$(id -un) W=$(pwd) E=$ISLET_CONF S=$ISLET_SPACE T=$TERM"',
        /H=conf-host U=(\S+) W=\/tmp E=v-1 S=a b T=xterm/,
      );
      await run(a.att, a.screen, 'echo "U=$(id -un)"', new RegExp(`U=${user}\\b`));
      a.att.detach();
      // Defaults: hostname = environment name, workdir = /home/<user>.
      const b = await launch('defaults', { user }, 'confenv');
      await run(b.att, b.screen, 'echo "H=$(hostname) W=$(pwd) U=$(id -u)"', new RegExp(`H=confenv W=/home/${user} U=[1-9][0-9]*`));
      b.att.detach();
    });

    test('the exit code of the main process is reported after it exits', async () => {
      const { info, att } = await launch('exit');
      att.input.write('exit 3\r');
      await within(att.ended, 10_000, 'attachment ends when the shell exits');
      const after = await settled(info.id);
      assert.equal(after?.state, 'exited');
      assert.equal(after?.exitCode, 3);
      const listed = await driver.find({ [LABEL_SUITE]: suite, [LABEL_CASE]: 'exit' });
      assert.equal(listed[0]?.state, 'exited');
      assert.equal(listed[0]?.exitCode, 3);
    });

    test('a stopped instance starts again and keeps its files', async () => {
      const { info, att, screen } = await launch('restart', { user });
      await run(att, screen, 'echo kept > ~/note && echo saved-$((2+3))', /saved-5/);
      att.detach();
      await driver.stop(info.id, 1);
      assert.equal((await settled(info.id))?.state, 'exited');
      const att2 = await driver.attach(info.id);
      const screen2 = new Screen(att2);
      await driver.start(info.id);
      await screen2.waitFor(PROMPT);
      await run(att2, screen2, 'cat ~/note', /kept/);
      att2.detach();
    });

    test('stop and remove are idempotent, also on a missing instance', async () => {
      const { info, att } = await launch('idempotent');
      await driver.stop(info.id, 1);
      await driver.stop(info.id, 1);
      await within(att.ended, 10_000, 'attachment ends when the instance stops');
      assert.equal((await settled(info.id))?.state, 'exited');
      await driver.remove(info.id);
      await driver.remove(info.id);
      assert.equal(await driver.inspect(info.id), undefined);
      assert.equal(await driver.inspect(info.name), undefined);
      const missing = nameFor('never-created');
      await driver.stop(missing, 1);
      await driver.remove(missing);
    });

    test('remove works on a running instance', async () => {
      const { info, att } = await launch('remove-running');
      await driver.remove(info.id);
      await within(att.ended, 10_000, 'attachment ends when the instance is removed');
      assert.equal(await driver.inspect(info.id), undefined);
    });

    test('inspect of a missing name returns undefined', async () => {
      assert.equal(await driver.inspect(nameFor('missing')), undefined);
      assert.equal(await driver.inspect('0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'), undefined);
    });

    test('a duplicate name is refused and leaves nothing behind', async () => {
      const first = await driver.create({ name: nameFor('dup'), env: environment(), labels: labels('dup') });
      await assert.rejects(
        driver.create({ name: nameFor('dup'), env: environment(), labels: labels('dup') }),
        (e: unknown) => e instanceof IsletError && (e.code === 'RUNTIME_FAILED' || e.code === 'RUNTIME_UNAVAILABLE') && e.userMessage.length > 0,
      );
      const found = await driver.find({ [LABEL_SUITE]: suite, [LABEL_CASE]: 'dup' });
      assert.deepEqual(
        found.map((i) => i.id),
        [first.id],
      );
    });

    test('reattach from a fresh driver: the shell and its background jobs live on; attachments share the TTY', async (t: TestContext) => {
      const { info, att, screen } = await launch('reattach');
      await run(att, screen, 'sleep 1000 & echo bg-$((40+2))', /bg-42/);
      await psShows(att, screen, /sleep 1000/); // the job runs before the detach whose survival is tested
      att.detach();
      await within(att.ended, 5000, 'ended after detach');
      assert.equal((await driver.inspect(info.id))?.state, 'running', 'detach leaves the instance running');

      const fresh = makeDriver();
      const t0 = performance.now();
      const running = await fresh.inspect(info.name);
      const att2 = await fresh.attach(running!.id);
      const ms = performance.now() - t0;
      t.diagnostic(`inspect+attach to a running instance: ${ms.toFixed(1)} ms`);
      const screen2 = new Screen(att2);
      await run(att2, screen2, 'ps', /sleep 1000/);

      // A second attachment sees the same TTY; detaching it does not disturb the first.
      const att3 = await fresh.attach(info.id);
      const screen3 = new Screen(att3);
      await run(att2, screen2, 'echo shared-$((3*3))', /shared-9/);
      await screen3.waitFor(/shared-9/);
      att3.detach();
      await run(att2, screen2, 'echo still-$((1+1))', /still-2/);
      att2.detach();
      assert.equal((await fresh.inspect(info.id))?.state, 'running');
    });

    test('ensureImage of a nonexistent image fails with IMAGE_MISSING instead of hanging', async (t: TestContext) => {
      const image = `islet-conformance-missing/none-${suite}:v0`;
      assert.equal(await driver.hasImage(image), false);
      const t0 = performance.now();
      await assert.rejects(
        driver.ensureImage(image, () => undefined),
        (e: unknown) => {
          assert.ok(e instanceof IsletError, String(e));
          assert.equal(e.code, 'IMAGE_MISSING');
          assert.ok(!e.userMessage.includes(suite), 'the trainee message names no internals');
          return true;
        },
      );
      t.diagnostic(`failed pull of a missing image: ${(performance.now() - t0).toFixed(1)} ms`);
    });

    test('exec: streams apart, exit status, stdin, user/env/workdir; a TTY merges the streams; a signal ends it', async (t: TestContext) => {
      if (await lacks('exec', t, () => driver.exec(nameFor('never-created'), { cmd: ['true'] }))) return;
      const { info, att } = await launch('exec', { user });
      const a = await collect(await driver.exec(info.id, { cmd: ['sh', '-c', 'echo out-$((2*3)); echo err-$((3*3)) >&2; exit 4'] }));
      assert.deepEqual(a, { code: 4, out: 'out-6\n', err: 'err-9\n' });
      assert.deepEqual(await collect(await driver.exec(info.id, { cmd: ['cat'] }), 'piped-in'), { code: 0, out: 'piped-in', err: '' });
      const asRoot = { user: 'root', env: { CASE_VAR: 'v 1' }, workdir: '/tmp' };
      const c = await collect(await driver.exec(info.id, { cmd: ['sh', '-c', 'echo "$(id -un) $CASE_VAR $(pwd)"'], ...asRoot }));
      assert.equal(c.out, 'root v 1 /tmp\n');
      assert.equal((await collect(await driver.exec(info.id, { cmd: ['sh', '-c', 'id -un'] }))).out, `${user}\n`, 'the instance user by default');
      const d = await collect(await driver.exec(info.id, { cmd: ['sh', '-c', 'echo tty-$((4*4)) >&2'], tty: { cols: 80, rows: 24 } }), null);
      assert.match(d.out, /tty-16\r?\n/);
      assert.equal(d.err, '');
      const sleeper = await driver.exec(info.id, { cmd: ['sleep', '1000'] });
      let code: number | undefined;
      void sleeper.exited.then((c) => {
        code = c;
      });
      for (let i = 0; i < 40 && code === undefined; i++) {
        await sleeper.signal('SIGKILL');
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.ok(code !== undefined && code !== 0, `a killed process ends with a failure status (got ${code})`);
      att.detach();
      const created = await driver.create({ name: nameFor('exec-created'), env: environment(), labels: labels('exec-created') });
      await assert.rejects(driver.exec(created.id, { cmd: ['true'] }), isFailed, 'no exec in an instance that does not run');
      await assert.rejects(driver.exec(nameFor('never-created'), { cmd: ['true'] }), isFailed);
    });

    test('rename: the instance answers to its new name only, keeps its id and labels; a taken name is refused', async (t: TestContext) => {
      if (await lacks('rename', t, () => driver.rename(nameFor('never-created'), nameFor('x')))) return;
      const info = await driver.create({ name: nameFor('rename'), env: environment(), labels: labels('rename') });
      await driver.create({ name: nameFor('rename-taken'), env: environment(), labels: labels('rename') });
      await driver.rename(info.id, nameFor('renamed'));
      const got = await driver.inspect(nameFor('renamed'));
      assert.equal(got?.id, info.id);
      assert.equal(got?.labels[LABEL_CASE], 'rename');
      assert.equal(await driver.inspect(nameFor('rename')), undefined);
      await assert.rejects(driver.rename(info.id, nameFor('rename-taken')), (e) => isFailed(e) && (e as IsletError).detail.statusCode === 409);
      assert.equal((await driver.inspect(info.id))?.name, nameFor('renamed'), 'a refused rename changes nothing');
      await assert.rejects(driver.rename(nameFor('never-created'), nameFor('renamed-ghost')), isFailed);
    });

    test('putArchive/getArchive: files go in with their owner and are seen by the shell; files the shell wrote come out', async (t: TestContext) => {
      const noPut = await lacks('putArchive', t, () => driver.putArchive(nameFor('never-created'), '/tmp', Buffer.alloc(1024)));
      if ((await lacks('getArchive', t, () => driver.getArchive(nameFor('never-created'), '/tmp'))) || noPut) return;
      const { info, att, screen } = await launch('archive', { user });
      await driver.putArchive(
        info.id,
        '/tmp',
        await tarOf([
          { name: 'conf-put/', uid: 1000 },
          { name: 'conf-put/a.txt', body: 'archive-42\n', uid: 1000 },
        ]),
      );
      await run(att, screen, 'cat /tmp/conf-put/a.txt && echo read-$((1+2))', /archive-42\s+read-3/);
      const file = await untar(await driver.getArchive(info.id, '/tmp/conf-put/a.txt'));
      assert.deepEqual([...file.keys()], ['a.txt'], 'an archive of a file is named by its last segment');
      assert.deepEqual(file.get('a.txt'), { body: 'archive-42\n', uid: 1000 });
      const dir = await untar(await driver.getArchive(info.id, '/tmp/conf-put'));
      assert.deepEqual([...dir.keys()].sort(), ['conf-put', 'conf-put/a.txt']);
      await run(att, screen, 'echo shell-$((5*5)) > /tmp/from-shell && echo wrote-$((1+1))', /wrote-2/);
      assert.equal((await untar(await driver.getArchive(info.id, '/tmp/from-shell'))).get('from-shell')?.body, 'shell-25\n');
      att.detach();
      await assert.rejects(driver.putArchive(info.id, '/no/such/dir', await tarOf([{ name: 'x', body: 'x' }])), isFailed);
      await assert.rejects(driver.getArchive(info.id, '/no/such/file'), isFailed);
      await assert.rejects(driver.getArchive(nameFor('never-created'), '/tmp'), isFailed);
    });

    test('ensureNetwork: idempotent, also from another driver; it reports CIDR subnets and instances join it', async (t: TestContext) => {
      const net = `islet-conf-${suite}`;
      const netLabels = { ...opts.labels, [LABEL_SUITE]: suite };
      if (await lacks('ensureNetwork', t, () => driver.ensureNetwork(net, netLabels))) return;
      const a = await driver.ensureNetwork(net, netLabels);
      assert.ok(a.subnets.length > 0 && a.subnets.every((s) => /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(s)), JSON.stringify(a.subnets));
      assert.deepEqual((await driver.ensureNetwork(net, netLabels)).subnets, a.subnets);
      assert.deepEqual((await makeDriver().ensureNetwork(net, netLabels)).subnets, a.subnets, 'another process sees the same network');
      const info = await driver.create({ name: nameFor('network'), env: environment({ network: 'bridge' }), labels: labels('network'), network: net });
      await driver.start(info.id);
      assert.equal((await driver.inspect(info.id))?.state, 'running');
      await driver.remove(info.id);
    });

    test('diskUsage counts what the instance writes; undefined for a missing instance', async (t: TestContext) => {
      if (await lacks('diskUsage', t, () => driver.diskUsage(nameFor('never-created')))) return;
      const { info, att, screen } = await launch('disk', { user });
      const before = await driver.diskUsage(info.id);
      assert.equal(typeof before, 'number');
      await run(att, screen, 'dd if=/dev/zero of=/tmp/conf-disk bs=1M count=3 2>/dev/null; echo dd-$((1+1))', /dd-2/);
      const after = await driver.diskUsage(info.id);
      assert.ok(after! - before! >= 3 * 1024 * 1024, `grew by ${after! - before!} bytes`);
      att.detach();
      assert.equal(await driver.diskUsage(nameFor('never-created')), undefined);
    });

    test('cpuTime grows while the instance works; undefined once it stopped or when it is missing', async (t: TestContext) => {
      if (await lacks('cpuTime', t, () => driver.cpuTime(nameFor('never-created')))) return;
      const { info, att, screen } = await launch('cpu');
      const t0 = await driver.cpuTime(info.id);
      assert.ok(typeof t0 === 'number' && t0 > 0, `a running instance has used some CPU (got ${t0})`);
      await run(att, screen, 'ps >/dev/null; ps >/dev/null; ps >/dev/null; echo spun-$((2+2))', /spun-4/);
      const t1 = await driver.cpuTime(info.id);
      assert.ok(typeof t1 === 'number' && t1 > t0, `${t1} > ${t0}`);
      att.detach();
      await driver.stop(info.id, 0);
      assert.equal(await driver.cpuTime(info.id), undefined);
      assert.equal(await driver.cpuTime(nameFor('never-created')), undefined);
    });

    test('usage (optional): CPU time and memory of a running instance; undefined once it stopped or when it is missing', async (t: TestContext) => {
      if (!driver.usage) {
        t.skip('this driver has no usage(): the console samples cpuTime');
        return;
      }
      // The same engine stats as cpuTime: a driver lacking cpuTime refuses usage the same way.
      const usage = driver.usage.bind(driver);
      if (await lacks('cpuTime', t, () => usage(nameFor('never-created')))) return;
      const { info, att, screen } = await launch('usage');
      await run(att, screen, 'ps >/dev/null; ps >/dev/null; echo used-$((3+3))', /used-6/);
      const u = await driver.usage(info.id);
      assert.ok(u && u.cpuNs > 0, `CPU time of a running instance (got ${JSON.stringify(u)})`);
      assert.ok(u.memoryBytes > 0, `memory of a running instance (got ${u.memoryBytes})`);
      att.detach();
      await driver.stop(info.id, 0);
      assert.equal(await driver.usage(info.id), undefined);
      assert.equal(await driver.usage(nameFor('never-created')), undefined);
    });

    test('create with a missing image fails and leaves nothing behind', async () => {
      await assert.rejects(
        driver.create({ name: nameFor('noimage'), env: environment({ image: `islet-conformance-missing/none-${suite}:v0` }), labels: labels('noimage') }),
        (e: unknown) => e instanceof IsletError && ['IMAGE_MISSING', 'RUNTIME_FAILED'].includes(e.code),
      );
      assert.equal(await driver.inspect(nameFor('noimage')), undefined);
    });
  });
}
