import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveMaxContainers } from './capacity.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const env = (memory: number, enabled = true) => ({ memory, enabled });

test('auto: (host memory − 1 GiB) ÷ the largest memory limit of the enabled environments', () => {
  assert.equal(effectiveMaxContainers({ max_containers: 0 }, [env(256 * MiB), env(512 * MiB)], 8 * GiB), 14);
  assert.equal(effectiveMaxContainers({ max_containers: 0 }, [env(256 * MiB), env(4 * GiB, false)], 8 * GiB), 28, 'disabled environments do not count');
  assert.equal(effectiveMaxContainers({ max_containers: 0 }, [env(0)], 8 * GiB), 14, 'an unlimited environment counts as 512 MiB');
});

test('auto never says 0, and a set number wins', () => {
  assert.equal(effectiveMaxContainers({ max_containers: 0 }, [env(2 * GiB)], 1.5 * GiB), 1);
  assert.equal(effectiveMaxContainers({ max_containers: 0 }, [], 2 * GiB), 8, 'no environment: 128 MiB each');
  assert.equal(effectiveMaxContainers({ max_containers: 500 }, [env(2 * GiB)], 4 * GiB), 500);
});
