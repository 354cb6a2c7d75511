/**
 * The pty relay through DockerDriver against the real engine, beyond the conformance suite's relay run
 * (docker-driver.test.ts): what the relay does when the kernel's OOM killer ends its program, and how the driver
 * finds a container's relay (relay-terminals.ts). Needs a running engine and the demo image (built here, as in
 * docker-driver.test.ts); fails loudly, never skips.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { environmentSchema, type Environment, type EnvironmentInput } from '../../config/schema.ts';
import { PROMPT, Screen, typeAndWait } from '../conformance-screen.ts';
import { sweepTestContainers, testLabels, testRunId } from '../../../test/helpers/engine.ts';
import { DockerDriver } from './index.ts';
import { PTY_RELAY_BINARY } from './pty-relays.ts';

const IMAGE = 'islet/demo:latest';
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const runId = testRunId();
const labels = testLabels(runId);
const docker = new Docker();
const relayDir = mkdtempSync(join(tmpdir(), 'islet-relay-'));

function environment(input: Partial<EnvironmentInput> = {}, name = 'rtest'): Environment {
  return { ...environmentSchema.parse({ image: IMAGE, ...input }), name, source: 'relay-terminals.test' };
}

before(() => {
  for (const script of ['scripts/build-demo-image.sh', 'scripts/build-pty-relay.sh']) {
    execFileSync('bash', [join(repoRoot, script)], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  }
});

after(async () => {
  await sweepTestContainers(runId);
  rmSync(relayDir, { recursive: true, force: true });
});

describe('pty relay (Docker specifics)', { timeout: 60_000 }, () => {
  const relay = new DockerDriver({ ptyRelay: { dir: relayDir, binary: PTY_RELAY_BINARY } });
  after(() => relay.close());
  const name = (what: string): string => `islet-rtest-${runId}-${what}`;

  /** Runs `script` as the environment's program through the relay; returns the screen and the exit code. */
  async function runToEnd(what: string, script: string, input?: string): Promise<{ text: string; exitCode: number | undefined }> {
    const info = await relay.create({ name: name(what), env: environment({ memory: '32m', swap: '0', command: ['sh', '-c', script] }), labels });
    try {
      const att = await relay.attach(info.id);
      const screen = new Screen(att);
      await relay.start(info.id);
      if (input !== undefined) {
        await screen.waitFor(/started/);
        att.input.write(input);
      }
      await att.ended;
      return { text: screen.text, exitCode: (await relay.inspect(info.id))?.exitCode };
    } finally {
      await relay.remove(info.id);
    }
  }

  test("a program the kernel's OOM killer ends is started again with a notice, at most 3 times a minute; the relay is never the victim", async () => {
    // The program itself is the biggest process: sh reading 100 MB into a variable under a 32 MB limit.
    const { text, exitCode } = await runToEnd(
      'oom-respawn',
      'echo "started adj=$(cat /proc/self/oom_score_adj) relay=$(cat /proc/1/oom_score_adj)"; a=$(head -c 100000000 /dev/zero | tr "\\0" x); echo survived',
    );
    const starts = [...text.matchAll(/started adj=(\d+) relay=(\d+)/g)];
    assert.equal(starts.length, 4, `the program ran once and was started again 3 times:\n${text}`);
    assert.ok(
      starts.every((m) => m[1] === '100' && m[2] === '0'),
      `the program runs at oom_score_adj 100, the relay at 0: ${starts.map((m) => m[0]).join('; ')}`,
    );
    assert.equal((text.match(/\[islet\] Out of memory/g) ?? []).length, 3, 'one notice per restart');
    assert.doesNotMatch(text, /survived/, 'the probe really ran out of memory');
    assert.equal(exitCode, 137, 'after the 4th kill in a minute the container ends with SIGKILL');
  });

  test('removed by id or by name: its socket directory goes; a new container of a looked-up name gets its own relay', async () => {
    const tokenOf = async (id: string) => (await docker.getContainer(id).inspect()).Config.Labels['islet.relay']!;
    const first = await relay.create({ name: name('byname'), env: environment(), labels });
    const firstToken = await tokenOf(first.id);
    const att = await relay.attach(name('byname'));
    await relay.start(name('byname'));
    await new Screen(att).waitFor(PROMPT);
    att.detach();
    assert.ok(existsSync(join(relayDir, firstToken)), 'the probe sees the socket directory while the container lives');
    await relay.remove(first.id);
    assert.ok(!existsSync(join(relayDir, firstToken)), 'removed by id with its container');
    // The name was looked up before: it must not lead to the old relay now.
    const second = await relay.create({ name: name('byname'), env: environment(), labels });
    const secondToken = await tokenOf(second.id);
    assert.notEqual(secondToken, firstToken);
    try {
      const again = await relay.attach(name('byname'));
      const screen = new Screen(again);
      await relay.start(name('byname'));
      await screen.waitFor(PROMPT);
      await typeAndWait(again, screen, 'echo second-$((2*3))', /second-6/);
      again.detach();
      assert.ok(existsSync(join(relayDir, secondToken)));
    } finally {
      await relay.remove(name('byname'));
    }
    assert.ok(!existsSync(join(relayDir, secondToken)), 'removed by name with its container');
  });

  test("with sliceUs the relay and the program ask for that scheduler slice, and what the program starts keeps the kernel's", async (t) => {
    // /proc/<pid>/sched shows se.slice where the kernel has EEVDF and its debug files; custom slices came in 6.12.
    const [major = 0, minor = 0] = (/^(\d+)\.(\d+)/.exec(execFileSync('uname', ['-r']).toString()) ?? []).slice(1).map(Number);
    if (!/^se\.slice\s*:/m.test(readFileSync('/proc/self/sched', 'utf8')) || major * 1000 + minor < 6012) {
      t.skip('this kernel shows no se.slice or takes no slice request (before 6.12)');
      return;
    }
    const sliced = new DockerDriver({ ptyRelay: { dir: relayDir, binary: PTY_RELAY_BINARY, sliceUs: 100 } });
    // relay: PID 1; program: the shell ($$); child: the grep that reads its own file.
    const slice = (pid: string) => `$(grep -m1 se.slice /proc/${pid}/sched | tr -dc 0-9)`;
    const script = `echo "relay=${slice('1')} program=${slice('$$')} child=${slice('self')}."`;
    const read = async (d: DockerDriver, what: string) => {
      const info = await d.create({ name: name(what), env: environment({ command: ['sh', '-c', script] }), labels });
      try {
        const att = await d.attach(info.id);
        const screen = new Screen(att);
        await d.start(info.id);
        await att.ended;
        const m = /relay=(\d+) program=(\d+) child=(\d+)\./.exec(screen.text);
        assert.ok(m, `the three slices read:\n${screen.text}`);
        return { relay: Number(m[1]), program: Number(m[2]), child: Number(m[3]) };
      } finally {
        await d.remove(info.id);
      }
    };
    try {
      const plain = await read(relay, 'slice-default');
      const short = await read(sliced, 'slice-100');
      // The probe first: without -s all three are the kernel's default, which is not 100 µs.
      assert.ok(plain.relay === plain.program && plain.program === plain.child && plain.child !== 100_000, `defaults: ${JSON.stringify(plain)}`);
      assert.deepEqual(short, { relay: 100_000, program: 100_000, child: plain.child }, 'relay and program at 100 µs, their child reset to the default');
    } finally {
      sliced.close();
    }
  });

  test("a SIGKILL that is not the OOM killer's ends the container, as without the relay", async () => {
    const { text, exitCode } = await runToEnd('kill-self', 'echo started; read line; kill -9 $$', 'go\r');
    assert.match(text, /started/);
    assert.doesNotMatch(text, /Out of memory/);
    assert.equal(exitCode, 137);
  });
});
