/**
 * Any door, same shell (issue 14.5): two `islet serve` front doors share one PostgreSQL store (the lab's
 * ISLET_STORE) and a three-node swarm. A trainee starts over door A, A is killed with SIGKILL, the trainee
 * reconnects to door B and is back in the same live shell: the background job still runs, files are kept.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { IsletProcess } from '../helpers/islet-process.ts';
import { TmuxSsh } from '../helpers/tmux-ssh.ts';
import { testRunId } from '../helpers/engine.ts';
import { PROMPT, choose, createAccount, gate, login, sh } from '../helpers/trainee.ts';
import { startLab, type Lab } from './lab.ts';

// One run id for both doors: one instance name (t<runId>) and label, two data directories, one store.
const runId = testRunId();
const doorA = new IsletProcess(runId);
const doorB = new IsletProcess(runId);
let lab: Lab;

describe('two front doors, one PostgreSQL store, a three-node swarm', { concurrency: false, timeout: 600_000 }, () => {
  before(async () => {
    lab = await startLab(3);
    const nodes = Object.entries(lab.nodes)
      .map(([h, a]) => `    ${h}: ${a}`)
      .join('\n');
    for (const door of [doorA, doorB])
      appendFileSync(
        join(door.configDir, 'islet.yaml'),
        `\nreconcile_interval: 10m\nruntime:\n  driver: swarm\n  manager: ${lab.env.DOCKER_HOST}\n  nodes:\n${nodes}\n`,
      );
    await doorA.start({ ISLET_STORE: lab.env.ISLET_STORE! });
    await doorB.start({ ISLET_STORE: lab.env.ISLET_STORE! });
  });
  after(async () => {
    for (const door of [doorA, doorB])
      for (const l of door.logs) if (Number(l.level) >= 40) process.stderr.write(`islet: ${JSON.stringify(l).slice(0, 1500)}\n`);
    await TmuxSsh.closeAll();
    await doorA.dispose();
    await doorB.dispose();
    await lab?.down();
  });

  test('a trainee started over door A, A killed (SIGKILL): door B gives back the same live shell', async () => {
    const s = await gate(doorA.port);
    await createAccount(s, 'alice');
    await choose(s, 'demo');
    await s.waitFor(PROMPT, 60_000);
    await sh(s, 'echo kept > ~/work.txt');
    // A background job of this shell: it counts while nobody is attached. Each count is written aside and renamed
    // into place: `echo $i > ~/tick` truncates first, and a read in between saw an empty file (a fresh-clone CI run
    // of 2f9fd89 read "" as 0 here).
    await sh(s, '(i=0; while true; do i=$((i+1)); echo $i > ~/tick.new; mv ~/tick.new ~/tick; sleep 1; done) & echo started');
    const pid = await sh(s, 'echo $!');
    assert.match(pid, /^\d+$/);
    await doorA.stop('SIGKILL');
    await s.close();
    // Control: door A is gone for real (its port refuses), so B is what answers next.
    await assert.rejects(gate(doorA.port).then((x) => x.waitFor(/password:/i, 5000)));

    const before = Number(
      await (async () => {
        const b = await gate(doorB.port);
        // alice was created over door A: door B (another data directory) knows her only through the shared store.
        await login(b, 'alice');
        await choose(b, 'demo');
        await b.waitFor('Welcome back!', 60_000);
        await b.waitFor(PROMPT, 30_000);
        const tick = await sh(b, 'cat ~/tick');
        // The same shell: its job table still has the job started over door A, with the same pid.
        assert.equal(await sh(b, 'echo $!'), pid);
        assert.match(await sh(b, 'jobs'), /Running/);
        assert.equal(await sh(b, 'cat ~/work.txt'), 'kept');
        // It ticks once a second; on a loaded machine (lab nodes run niced) give it up to 20 s, polled.
        let counted = false;
        for (const until = Date.now() + 20_000; !counted && Date.now() < until; ) {
          await new Promise((r) => setTimeout(r, 1000));
          counted = Number(await sh(b, 'cat ~/tick')) > Number(tick);
        }
        assert.ok(counted, 'the background job kept counting');
        return tick;
      })(),
    );
    assert.ok(before > 0);
  });
});
