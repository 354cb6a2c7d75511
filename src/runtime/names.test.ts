import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accountFromName, bridgeNetworkName, containerName, isUnclaimedPoolName, ownerLabels, poolName } from './names.ts';

test('a container name is made and parsed back (control: another instance or environment gives nothing)', () => {
  const name = containerName('islet', 'demo', 'alice');
  assert.equal(name, 'islet.demo.alice');
  assert.equal(accountFromName(name, 'islet', 'demo'), 'alice');
  assert.equal(accountFromName(name, 'other', 'demo'), undefined);
  assert.equal(accountFromName(name, 'islet', 'dem'), undefined);
  assert.equal(accountFromName('islet.demo.', 'islet', 'demo'), undefined);
});

test('pool names are told from claimed ones; labels and the bridge name keep their formats', () => {
  assert.equal(isUnclaimedPoolName(poolName('islet', 'demo', 'ab12')), true);
  assert.equal(poolName('islet', 'demo', 'ab12'), 'islet.demo.pool-ab12');
  assert.equal(isUnclaimedPoolName(containerName('islet', 'demo', 'alice')), false);
  assert.deepEqual(ownerLabels({ instance: 'i', store: 's', account: 'a', environment: 'e' }), {
    'islet.instance': 'i',
    'islet.store': 's',
    'islet.account': 'a',
    'islet.environment': 'e',
  });
  assert.equal(bridgeNetworkName('islet'), 'islet-bridge');
});
