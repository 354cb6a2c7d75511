import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostName } from './web-server.ts';

test('hostName: the Host header without its port; anything but a host name gives nothing', () => {
  assert.equal(hostName('lab.example.org:8080'), 'lab.example.org');
  assert.equal(hostName('127.0.0.1'), '127.0.0.1');
  assert.equal(hostName('[::1]:8080'), '[::1]');
  assert.equal(hostName(undefined), '');
  assert.equal(hostName('evil.org/$(reboot)'), '');
  assert.equal(hostName('a b'), '');
});
