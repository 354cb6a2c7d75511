import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IsletError } from '../core/islet-error.ts';
import { unitWorld } from '../../test/helpers/unit-world.ts';
import { mayUse } from './allowed-environments.ts';

test('mayUse: no list allows every environment; a list only those named', () => {
  assert.equal(mayUse(undefined, 'demo'), true);
  assert.equal(mayUse(['other'], 'other'), true);
  assert.equal(mayUse(['other'], 'demo'), false);
  assert.equal(mayUse([], 'demo'), false);
});

test('the runner refuses a container in an environment the account may not use, before any engine call', async (t) => {
  const w = unitWorld({ environments: { demo: 'image: islet/demo:latest\nuser: student\n', other: 'image: islet/demo:latest\nuser: student\n' } });
  t.after(() => w.close());
  const policy = { minPasswordLength: 4, days: 1, reserved: new Set<string>() };
  await w.accounts.create('lim', 'pass1', policy, ['other']);
  await w.accounts.create('free', 'pass1', policy);
  await assert.rejects(
    w.runner.ensureRunning('lim', w.env('demo')),
    (e: IsletError) => e.code === 'ENV_NOT_FOUND' && e.userMessage === 'There is no environment named demo.' && /may not use environment demo/.test(e.message),
  );
  assert.equal(w.engine.list().length, 0, 'nothing was created');
  assert.ok(await w.runner.ensureRunning('lim', w.env('other'))); // the allowed one runs
  assert.ok(await w.runner.ensureRunning('free', w.env('demo'))); // control: the same call without a limit
  assert.equal(w.engine.list().length, 2);
});
