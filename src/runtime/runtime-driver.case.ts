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
import { within } from './conformance-io.ts';
import { PROMPT, Screen } from './conformance-screen.ts';
import { operationCases } from './runtime-driver-operations.case.ts';
import type { Attachment, InstanceInfo, OptionalOperation, RuntimeDriver } from './runtime-driver.ts';

export interface ConformanceOptions {
  /** An image present on the backend (see the file comment for what it must contain). */
  readonly image: string;
  /** Labels put on every instance the suite creates (e.g. `{ 'islet.test': runId }`). */
  readonly labels: Readonly<Record<string, string>>;
  /** Unprivileged user in the image (default `student`). */
  readonly user?: string;
  /** Per-test time limit in ms (default 60000). */
  readonly testTimeoutMs?: number;
  /** Names this run of the suite where a file runs it more than once (a driver option). */
  readonly title?: string;
  /**
   * Whether the driver's instances run in the group its groupCpuTime() reads (the Docker driver with ISLET's idle
   * trainee group, the fake): the groupCpuTime case then requires the group to hold them; otherwise not to.
   */
  readonly grouped?: boolean;
}

const LABEL_SUITE = 'islet.conformance';
const LABEL_CASE = 'islet.conformance.case';

/** What the cases of another file need from the suite (runtime-driver-operations.case.ts). */
export interface ConformanceKit {
  /** The suite's driver, created in its `before()`: read it inside a test, not when registering. */
  readonly driver: RuntimeDriver;
  readonly makeDriver: () => RuntimeDriver;
  /** This run's suite id, also the value of LABEL_SUITE on everything the suite creates. */
  readonly suite: string;
  /** The label keys that name the suite run and the case on every instance. */
  readonly labelKeys: { readonly suite: string; readonly case: string };
  readonly user: string;
  /** The labels the caller asked for (ConformanceOptions.labels). */
  readonly baseLabels: Readonly<Record<string, string>>;
  /** ConformanceOptions.grouped. */
  readonly grouped: boolean;
  environment(input?: Partial<EnvironmentInput>, name?: string): Environment;
  labels(kase: string): Record<string, string>;
  nameFor(kase: string): string;
  launch(kase: string, input?: Partial<EnvironmentInput>, envName?: string): Promise<{ info: InstanceInfo; att: Attachment; screen: Screen; ms: number }>;
  run(att: Attachment, screen: Screen, line: string, re: RegExp): Promise<RegExpExecArray>;
  lacks(op: OptionalOperation, t: TestContext, call: () => Promise<unknown>): Promise<boolean>;
  isFailed(e: unknown): boolean;
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
  const kit: ConformanceKit = {
    get driver() {
      return driver;
    },
    makeDriver,
    suite,
    labelKeys: { suite: LABEL_SUITE, case: LABEL_CASE },
    user,
    baseLabels: opts.labels,
    grouped: opts.grouped ?? false,
    environment,
    labels,
    nameFor,
    launch,
    run,
    lacks,
    isFailed,
  };

  describe(`RuntimeDriver conformance${opts.title ? ` (${opts.title})` : ''}`, { timeout }, () => {
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
      // At once, not eventually: callers take "ended while running" for a lost stream (environment-runner.ts).
      assert.notEqual((await driver.inspect(info.id))?.state, 'running', 'the instance is no longer running when the attachment ends');
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

    operationCases(kit);

    test('create with a missing image fails and leaves nothing behind', async () => {
      await assert.rejects(
        driver.create({ name: nameFor('noimage'), env: environment({ image: `islet-conformance-missing/none-${suite}:v0` }), labels: labels('noimage') }),
        (e: unknown) => e instanceof IsletError && ['IMAGE_MISSING', 'RUNTIME_FAILED'].includes(e.code),
      );
      assert.equal(await driver.inspect(nameFor('noimage')), undefined);
    });
  });
}
