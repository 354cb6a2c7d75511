/**
 * Node drain on a real swarm lab (issue 14.3, "node drain moves nothing live without telling the trainee"):
 * a real `islet serve` with `runtime: { driver: swarm }`; alice and bob have live shells on two different
 * nodes; alice's node is drained. Alice's terminal is told, once, with the time her environment ends, while
 * her shell keeps running; bob's is told nothing (control: a broadcast does reach bob's terminal, so his
 * screen would show a notice). Alice logs in again and reads it again; the server logs who was told
 * (`environment_retiring`).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IsletProcess, repoRoot } from '../helpers/islet-process.ts';
import { TmuxSsh } from '../helpers/tmux-ssh.ts';
import { testRunId } from '../helpers/engine.ts';
import { PROMPT, choose, createAccount, gate, login, sh } from '../helpers/trainee.ts';
import { serviceName } from '../../src/runtime/swarm/service-spec.ts';
import { startLab, type Lab } from './lab.ts';

const exec = promisify(execFile);
const runId = testRunId();
const islet = new IsletProcess(runId);
let lab: Lab;

const NOTICE =
  /machine being retired; it ends at (\d\d:\d\d) UTC \(in (\d+) min\)\. Save your work \(scp, or export\) - a new login after that starts afresh\./;
/** A terminal's whole history as one line (a notice spans rows). */
const flat = async (s: TmuxSsh) => (await s.history()).replace(/\s+/g, ' ');

async function until(what: string, ok: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function nodeOf(account: string): Promise<string> {
  const out = await lab.docker(lab.env.DOCKER_HOST!, 'service', 'ps', serviceName(`${islet.instance}.demo.${account}`), '--format', '{{.Node}}');
  return out.split('\n')[0]!.trim();
}

async function shellOf(account: string, fresh: boolean): Promise<TmuxSsh> {
  const s = await gate(islet.port);
  if (fresh) await createAccount(s, account);
  else await login(s, account);
  await choose(s, 'demo');
  await s.waitFor(PROMPT, 60_000);
  return s;
}

describe('node drain: the trainees on the drained node are told, in their terminal and at their next login', { concurrency: false, timeout: 600_000 }, () => {
  before(async () => {
    lab = await startLab(2, 'isd');
    const nodes = Object.entries(lab.nodes)
      .map(([h, a]) => `    ${h}: ${a}`)
      .join('\n');
    appendFileSync(
      join(islet.configDir, 'islet.yaml'),
      `\nreconcile_interval: 10m\nruntime:\n  driver: swarm\n  manager: ${lab.env.DOCKER_HOST}\n  drain_grace: 1h\n  nodes:\n${nodes}\n`,
    );
    await islet.start();
  });
  after(async () => {
    for (const l of islet.logs) if (Number(l.level) >= 50) process.stderr.write(`islet: ${JSON.stringify(l).slice(0, 2000)}\n`);
    await TmuxSsh.closeAll();
    await islet.dispose();
    await lab?.down();
  });

  test('drain the node under a live shell: told once with the end, the shell lives on, the control sees nothing, the next login is told again', async () => {
    const alice = await shellOf('alice', true);
    const bob = await shellOf('bob', true);
    const [aliceNode, bobNode] = [await nodeOf('alice'), await nodeOf('bob')];
    // Swarm spreads two one-task services over two empty nodes; the control must be on the other one.
    assert.notEqual(aliceNode, bobNode, 'alice and bob on two nodes');
    const drainedAt = Date.now();
    await lab.docker(lab.env.DOCKER_HOST!, 'node', 'update', '--availability', 'drain', aliceNode);
    try {
      await until("alice's notice", async () => NOTICE.test(await flat(alice)), 60_000);
      const m = NOTICE.exec(await flat(alice))!;
      const ends = new Date(drainedAt + 3600_000).toISOString().slice(11, 16);
      const endsLater = new Date(drainedAt + 3600_000 + 60_000).toISOString().slice(11, 16);
      assert.ok([ends, endsLater].includes(m[1]!), `ends at ${m[1]}, drained at ${new Date(drainedAt).toISOString()} with a 1 h grace`);
      assert.ok(Number(m[2]) >= 58 && Number(m[2]) <= 60, `${m[2]} min left`);
      // Nothing live moved: her shell still answers on the drained node.
      assert.equal(await sh(alice, 'echo still-here'), 'still-here');
      assert.equal(await nodeOf('alice'), aliceNode);
      // Once: three more checks (5 s apart) add nothing.
      await new Promise((r) => setTimeout(r, 16_000));
      assert.equal((await flat(alice)).split('machine being retired').length - 1, 1, 'told once');
      assert.doesNotMatch(await flat(bob), /machine being retired/, 'bob, on the other node, is told nothing');
      // Control: bob's terminal does show a notice sent to everyone.
      const { stdout } = await exec(join(repoRoot, 'bin/islet'), ['broadcast', '--data', islet.dataDir, 'probe-for-everyone']);
      assert.match(stdout, /broadcast shown in 2 shell\(s\)/);
      await until("bob's broadcast", async () => /probe-for-everyone/.test(await flat(bob)), 20_000);
      assert.doesNotMatch(await flat(bob), /machine being retired/);

      // Alice comes back: the login says it again, and she is in the same live shell.
      await sh(alice, 'echo kept > ~/kept.txt');
      await alice.close();
      const again = await gate(islet.port);
      await login(again, 'alice');
      await choose(again, 'demo');
      await again.waitFor('Welcome back!', 60_000);
      await until('the notice at the login', async () => NOTICE.test(await flat(again)), 30_000);
      await again.waitFor(PROMPT, 60_000);
      assert.equal(await sh(again, 'cat ~/kept.txt'), 'kept');

      const told = islet.logs.filter((l) => l.event === 'environment_retiring');
      assert.deepEqual(
        told.map((l) => [l.account, l.environment, l.node, l.how]),
        [
          ['alice', 'demo', aliceNode, 'live'],
          ['alice', 'demo', aliceNode, 'login'],
        ],
      );
    } finally {
      await lab.docker(lab.env.DOCKER_HOST!, 'node', 'update', '--availability', 'active', aliceNode);
    }
  });
});
