/**
 * DrainNotices on the fake driver (its `retiring` answer scripted): a live shell on a retiring machine is told
 * once, with the end; a shell elsewhere is not (control: that terminal does show a notice sent to it); a
 * login is told again; a machine drained anew counts anew; each telling is logged. The same on a real swarm
 * lab: test/swarm/drain-notice.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Retiring } from '../runtime/runtime-driver.ts';
import { MemoryTerminal } from '../../test/helpers/memory-terminal.ts';
import { unitWorld } from '../../test/helpers/unit-world.ts';
import { DrainNotices, retiringMessage } from './drain-notices.ts';
import { until } from '../../test/helpers/until.ts';

/** What a terminal shows as text: escape sequences (cursor moves between notice rows) become blanks. */
const text = (out: string) => out.replace(/\x1b(\[[0-9;?]*[A-Za-z]|[78])/g, ' ').replace(/\s+/g, ' ');
const count = (out: string, s: string) => text(out).split(s).length - 1;

test('retiringMessage: the end as HH:MM UTC, the minutes left, what to do and what happens after', () => {
  const now = Date.parse('2026-11-30T14:00:00Z');
  const m = retiringMessage({ node: 'n3', endsAt: new Date('2026-11-30T14:45:10Z') }, now);
  assert.equal(
    m,
    'Your environment is on a machine being retired; it ends at 14:45 UTC (in 45 min). Save your work (scp, or export) - a new login after that starts afresh.',
  );
});

test('a live shell on a retiring machine is told once; a shell elsewhere is not; a login is told again; a new drain counts anew', async (t) => {
  const w = unitWorld();
  t.after(() => w.close());
  const expires = new Date(w.now().getTime() + 86_400_000);
  for (const name of ['alice', 'bob']) await w.store.createAccount({ name, passwordHash: 'x', createdAt: w.now(), expiresAt: expires });
  const terms = { alice: new MemoryTerminal(), bob: new MemoryTerminal() };
  const runs = Object.entries(terms).map(([name, term]) => w.runner.run(term, name, w.env('demo'), () => undefined));
  for (const term of Object.values(terms)) await until('a prompt', () => /\$ $/.test(term.output));
  const id = async (name: string) => (await w.store.getOwnership(name, 'demo'))!.containerId;
  const [aliceId, bobId] = [await id('alice'), await id('bob')];

  const now = Date.parse('2026-11-30T14:00:00Z');
  const on: Retiring = { node: 'n3', endsAt: new Date(now + 30 * 60_000) };
  let answer = new Map<string, Retiring>([[aliceId, on]]);
  let asked = 0;
  const driver = {
    retiring: async () => {
      asked++;
      return answer;
    },
  };
  const drains = new DrainNotices({ driver, attached: w.runner.attached, taps: w.runner.taps, store: w.store, log: w.log, now: () => now });
  const said = 'machine being retired; it ends at 14:30 UTC (in 30 min)';

  await drains.tick();
  await until("alice's notice", () => count(terms.alice.output, said) === 1);
  await drains.tick();
  assert.equal(asked, 2);
  assert.equal(count(terms.alice.output, said), 1, 'told once, not at every check');
  assert.equal(count(terms.bob.output, 'machine being retired'), 0, 'bob is on another machine');
  // Control: bob's terminal does show a notice put on his shell, so the check above can fail.
  await w.runner.taps.notice(bobId, 'probe for bob');
  await until("bob's probe", () => count(terms.bob.output, 'probe for bob') === 1);

  const logged = w.logged('environment_retiring');
  assert.deepEqual(
    logged.map((e) => [e.account, e.environment, e.node, e.endsAt, e.how]),
    [['alice', 'demo', 'n3', '2026-11-30T14:30:00.000Z', 'live']],
  );

  assert.match(drains.loginNotice(aliceId) ?? '', /ends at 14:30 UTC/, 'a login to it is told again');
  assert.equal(drains.loginNotice(bobId), undefined);

  // The node made active again, then drained anew: told anew.
  answer = new Map();
  await drains.tick();
  assert.equal(drains.loginNotice(aliceId), undefined, 'no longer retiring');
  answer = new Map([[aliceId, on]]);
  await drains.tick();
  await until('the second notice', () => count(terms.alice.output, said) === 2);

  for (const term of Object.values(terms)) term.close();
  await Promise.all(runs);
});
