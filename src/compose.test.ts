// The composition root's Docker options: what `runtime` turns into for the driver.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { globalSchema } from './config/global-schema.ts';
import { dockerOptions } from './compose.ts';

const runtime = (r: Record<string, unknown>) => globalSchema.parse({ runtime: { terminal: 'engine', ...r } }).runtime;

test('runtime.engine_mutations: 0 leaves the cap to the driver (8); a number sets it', () => {
  assert.equal(runtime({}).engine_mutations, 0);
  assert.equal(dockerOptions('/tmp/islet-data', runtime({})).maxConcurrentMutations, undefined);
  assert.equal(dockerOptions('/tmp/islet-data', runtime({ engine_mutations: 3 })).maxConcurrentMutations, 3);
  assert.throws(() => runtime({ engine_mutations: -1 }));
  assert.throws(() => runtime({ engine_mutations: 2.5 }));
});
