import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InstanceInfo } from '../runtime/runtime-driver.ts';
import { LABEL_ACCOUNT, LABEL_ENVIRONMENT, LABEL_POOL, containerName, poolName } from '../runtime/names.ts';
import type { Ownership } from '../store/store.ts';
import { adoptPoolNames } from './adopt-pool-names.ts';

const c = (id: string, name: string, labels: Record<string, string>): InstanceInfo => ({
  id,
  name,
  image: 'img',
  state: 'running',
  labels,
  createdAt: new Date(0),
});
const pool = { [LABEL_POOL]: 'true', [LABEL_ENVIRONMENT]: 'demo' };
const row = (account: string, containerId: string): Ownership => ({ account, environment: 'demo', containerId, containerName: 'x', createdAt: new Date(0) });

test("pool containers: renamed ones and store-claimed ones get their account; unclaimed ones are the pool manager's; others pass as they are", () => {
  const trainee = c('t1', containerName('isl', 'demo', 'zoe'), { [LABEL_ACCOUNT]: 'zoe', [LABEL_ENVIRONMENT]: 'demo' });
  const renamed = c('p1', containerName('isl', 'demo', 'ann'), pool);
  const claimed = c('p2', poolName('isl', 'demo', 'abc123'), pool);
  const ready = c('p3', poolName('isl', 'demo', 'def456'), pool);
  const out = adoptPoolNames([trainee, renamed, claimed, ready], 'isl', [row('bob', 'p2')]);
  assert.deepEqual(
    out.map((x) => [x.id, x.labels[LABEL_ACCOUNT]]),
    [
      ['t1', 'zoe'],
      ['p1', 'ann'],
      ['p2', 'bob'],
    ],
  );
  assert.equal(out[0], trainee, 'a trainee container is passed unchanged');
});
