/**
 * A real `islet serve` with `runtime: { driver: swarm }` on a three-node swarm lab (issue 14.3): a trainee over
 * SSH lands in a shell that is a Swarm service task on a lab node with loopback only; trainees spread over
 * the nodes; a drained node gets no new containers; a node killed under a live shell gives the trainee a
 * clear message, and the next login starts afresh on another node with the store saying what was lost.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { IsletProcess } from '../helpers/islet-process.ts';
import { TmuxSsh } from '../helpers/tmux-ssh.ts';
import { testRunId } from '../helpers/engine.ts';
import { PROMPT, choose, createAccount, gate, login, sh } from '../helpers/trainee.ts';
import { serviceName } from '../../src/runtime/swarm/service-spec.ts';
import { startLab, type Lab } from './lab.ts';

const runId = testRunId();
const islet = new IsletProcess(runId);
let lab: Lab;

/** The node (hostname) of the newest task of the trainee's service (listed first), asked of the swarm manager. */
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

describe('islet serve on a swarm: SSH to a service task, spread, drain, node loss', { concurrency: false, timeout: 600_000 }, () => {
  const shells = new Map<string, TmuxSsh>();

  before(async () => {
    lab = await startLab(3);
    const nodes = Object.entries(lab.nodes)
      .map(([h, a]) => `    ${h}: ${a}`)
      .join('\n');
    appendFileSync(
      join(islet.configDir, 'islet.yaml'),
      `\nreconcile_interval: 10m\nruntime:\n  driver: swarm\n  manager: ${lab.env.DOCKER_HOST}\n  nodes:\n${nodes}\n`,
    );
    await islet.start();
  });
  after(async () => {
    // What the server complained about, for a failed run (its warnings and errors).
    for (const l of islet.logs) if (Number(l.level) >= 40) process.stderr.write(`islet: ${JSON.stringify(l).slice(0, 2000)}\n`);
    await TmuxSsh.closeAll();
    await islet.dispose();
    await lab?.down();
  });

  test('a trainee over SSH lands in a shell that is a service task on a lab node, with loopback only', async () => {
    const s = await shellOf('alice', true);
    shells.set('alice', s);
    const node = await nodeOf('alice');
    assert.match(node, new RegExp(`^${lab.prefix}-n[123]$`), 'the swarm manager places the task on a lab node');
    // The container is on that node's engine, and the shell is its main process: a file written in the shell is seen there.
    await sh(s, 'echo on-swarm > ~/where.txt');
    const cid = await lab.docker(
      lab.nodes[node]!,
      'ps',
      '-q',
      '--filter',
      `label=com.docker.swarm.service.name=${serviceName(`${islet.instance}.demo.alice`)}`,
    );
    assert.ok(cid, 'the task container runs on that node');
    assert.equal(await lab.docker(lab.nodes[node]!, 'exec', cid, 'cat', '/home/student/where.txt'), 'on-swarm');
    // No network: the only interface is loopback (control: the probe lists lo, so a listing is really read).
    const dev = await sh(s, "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '");
    assert.deepEqual(
      dev
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
      ['lo'],
    );
    assert.match(await sh(s, 'grep NoNewPrivs /proc/self/status'), /NoNewPrivs:\s*1/);
  });

  test('trainees spread over the nodes', async () => {
    for (const who of ['bob', 'carol']) shells.set(who, await shellOf(who, true));
    const placed = new Set(await Promise.all(['alice', 'bob', 'carol'].map(nodeOf)));
    assert.ok(placed.size >= 2, `three trainees on ${[...placed].join(', ')}`);
  });

  test('a drained node gets no new containers', async () => {
    const drained = `${lab.prefix}-n3`;
    const there: string[] = [];
    for (const who of shells.keys()) if ((await nodeOf(who)) === drained) there.push(who);
    // Swarm spreads three one-task services over three empty nodes: one of them runs on the node drained here.
    assert.ok(there.length > 0, 'a live shell runs on the node to drain (so the check below is not vacuous)');
    await lab.docker(lab.env.DOCKER_HOST!, 'node', 'update', '--availability', 'drain', drained);
    try {
      // Nothing live moves: a shell already on the drained node still answers (Swarm's stop grace is drain_grace).
      await new Promise((r) => setTimeout(r, 3000));
      for (const who of there) assert.equal(await sh(shells.get(who)!, 'echo still-here'), 'still-here', `${who}'s live shell on the drained node`);
      for (const who of ['dave', 'erin', 'frank']) {
        const s = await shellOf(who, true);
        shells.set(who, s);
        assert.notEqual(await nodeOf(who), drained, `${who} was placed on the drained node`);
      }
    } finally {
      await lab.docker(lab.env.DOCKER_HOST!, 'node', 'update', '--availability', 'active', drained);
    }
  });

  test('a node killed under a live shell: the trainee is told, and the next login starts afresh on another node', async () => {
    // A trainee on a worker (node 1 is the manager and must stay).
    let victim = '';
    for (const who of shells.keys()) if ((await nodeOf(who)) !== `${lab.prefix}-n1`) victim ||= who;
    assert.ok(victim, 'some trainee runs on a worker');
    const node = await nodeOf(victim);
    const s = shells.get(victim)!;
    await sh(s, 'echo mine > ~/lost.txt');
    await lab.script('node-kill', node.slice(-1));
    await s.waitFor('The machine that ran your environment is no longer available', 60_000);
    await s.close();
    // The store says what was lost (control: the reason is the runner's `lost: …`, not the usual 'shell exited').
    const db = new DatabaseSync(join(islet.dataDir, 'islet.db'), { readOnly: true });
    const row = db.prepare('SELECT state, stop_reason FROM ownership WHERE account = ?').get(victim) as { state: string; stop_reason: string };
    db.close();
    assert.equal(row.state, 'stopped');
    assert.match(row.stop_reason, new RegExp(`^lost: node ${node} (is down|does not answer)`));
    // The swarm marks the node Down after ~12 s; the next login then starts afresh elsewhere.
    const deadline = Date.now() + 60_000;
    while ((await lab.docker(lab.env.DOCKER_HOST!, 'node', 'inspect', node, '--format', '{{.Status.State}}')) !== 'down' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 1000));
    const again = await gate(islet.port);
    await login(again, victim);
    await choose(again, 'demo');
    await again.waitFor('A fresh one is starting', 60_000);
    await again.waitFor(PROMPT, 60_000);
    assert.notEqual(await nodeOf(victim), node);
    assert.equal(await sh(again, 'cat ~/lost.txt 2>&1 || true'), "cat: can't open '/home/student/lost.txt': No such file or directory");
    await lab.script('node-start', node.slice(-1));
  });
});
