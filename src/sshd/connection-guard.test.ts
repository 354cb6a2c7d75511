import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionGuard } from './connection-guard.ts';

const limits = { maxConnections: 5, maxPerIp: 3, newPerIpPerMinute: 4 };

test('caps concurrent connections per address and in total', () => {
  const g = new ConnectionGuard(
    () => limits,
    () => 0,
  );
  for (let i = 0; i < 3; i++) assert.equal(g.admit('10.0.0.1'), undefined);
  assert.equal(g.admit('10.0.0.1'), 'too_many_from_address');
  g.closed('10.0.0.1');
  assert.equal(g.admit('10.0.0.1'), undefined);
  assert.equal(g.admit('10.0.0.2'), undefined);
  assert.equal(g.admit('10.0.0.2'), undefined);
  assert.equal(g.admit('10.0.0.3'), 'too_many_connections');
});

test('limits the rate of new connections per address per minute', () => {
  let now = 0;
  const g = new ConnectionGuard(
    () => ({ ...limits, maxPerIp: 100, maxConnections: 100 }),
    () => now,
  );
  for (let i = 0; i < 4; i++) {
    assert.equal(g.admit('10.0.0.1'), undefined);
    g.closed('10.0.0.1');
  }
  assert.equal(g.admit('10.0.0.1'), 'connection_rate');
  now += 60_001;
  assert.equal(g.admit('10.0.0.1'), undefined);
});

test('refuses an address that failed logins locked out, and only that one', () => {
  const locked = new Set(['10.0.0.9']);
  const g = new ConnectionGuard(
    () => limits,
    () => 0,
    (ip) => locked.has(ip),
  );
  assert.equal(g.admit('10.0.0.9'), 'locked_out');
  assert.equal(g.admit('10.0.0.8'), undefined, 'other addresses are not affected');
  locked.clear();
  assert.equal(g.admit('10.0.0.9'), undefined, 'admitted again once the lock is over');
});

test('refuses clients from the trainee networks, IPv4 and IPv4-mapped IPv6', () => {
  const g = new ConnectionGuard(
    () => limits,
    () => 0,
  );
  g.denySubnets(['172.18.0.0/16']);
  assert.equal(g.admit('172.18.0.5'), 'trainee_network');
  assert.equal(g.admit('::ffff:172.18.3.4'), 'trainee_network');
  assert.equal(g.admit('172.19.0.5'), undefined);
});
