/**
 * Two real `islet serve` front doors on one PostgreSQL store (`ISLET_STORE`, docs/store.md): both start on
 * the shared database, exactly one leads the reconciler, and when the leader is killed (SIGKILL: it never
 * gives its lease up) the other takes the lease over once it expires. An admin command with the same store
 * sees what the servers wrote. The database password appears in no log line of either server.
 * The PostgreSQL is a throwaway one (test/helpers/postgres.ts), removed at the end.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { IsletProcess } from '../helpers/islet-process.ts';
import { islet } from '../helpers/islet-cli.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';

const runId = testRunId();
let pg: TestPostgres;
const doors: IsletProcess[] = [];

before(async () => {
  pg = await startPostgres(runId);
});
after(async () => {
  await Promise.allSettled(doors.map((d) => d.dispose()));
  await sweepTestContainers(runId);
  pg?.stop();
});

test('two front doors share one PostgreSQL store: one leads the reconciler; killed, the other takes over', { timeout: 180_000 }, async () => {
  const url = await pg.database('doors');
  const password = new URL(url).password;
  assert.ok(password.length >= 8, 'control: the URL carries a password to look for');
  for (let i = 0; i < 2; i++) {
    const door = new IsletProcess(runId); // same run, same instance name: one ISLET with two doors
    appendFileSync(join(door.configDir, 'islet.yaml'), '\nreconcile_interval: 1s\n');
    doors.push(door);
  }
  const [a, b] = doors as [IsletProcess, IsletProcess];
  await a.start({ ISLET_STORE: url });
  await a.waitForLog((l) => l.event === 'leader_acquired', 20_000);
  await b.start({ ISLET_STORE: url });
  await new Promise((r) => setTimeout(r, 3_000)); // three reconcile intervals
  assert.equal(
    b.logs.find((l) => l.event === 'leader_acquired'),
    undefined,
    'while a renews its lease, b does not lead',
  );

  // Admin commands take the same store: with it they open PostgreSQL; without it (control) they look for the
  // SQLite file, which a door on PostgreSQL never made.
  const args = ['accounts', '--json', '--data', b.dataDir, '--config', b.configDir];
  const env = { ISLET_INSTANCE: b.instance, ISLET_TEST_RUN: runId };
  const listed = await islet(args, { ...env, ISLET_STORE: url }, 60_000);
  assert.equal(listed.code, 0, listed.err);
  assert.deepEqual(JSON.parse(listed.out), []);
  const control = await islet(args, { ...env, ISLET_STORE: '' }, 60_000);
  assert.notEqual(control.code, 0);
  assert.match(control.err, /no ISLET database/);

  const killedAt = Date.now();
  await a.stop('SIGKILL');
  const took = await b.waitForLog((l) => l.event === 'leader_acquired', 90_000).then(() => Date.now() - killedAt);
  assert.ok(took >= 5_000, `b waited for a's lease to expire (${took} ms)`);
  for (const d of doors) {
    const text = JSON.stringify(d.logs) + d.stderr.join('\n');
    assert.ok(!text.includes(password), 'the database password is in no log line');
    assert.ok(text.includes('***') || !text.includes('postgres://'), 'a logged URL is redacted');
  }
});
