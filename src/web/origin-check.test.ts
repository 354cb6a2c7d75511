import { test } from 'node:test';
import assert from 'node:assert/strict';
import { originAllowed } from './origin-check.ts';

test('the same scheme, host and port is allowed; every near miss is refused', () => {
  assert.equal(originAllowed('http://islet.example:8080', 'islet.example:8080', false, []), true);
  assert.equal(originAllowed('https://islet.example', 'islet.example', true, []), true);
  for (const o of [
    'http://islet.example:8081',
    'https://islet.example:8080',
    'http://evil.islet.example:8080',
    'http://islet.example.evil:8080',
    'http://islet.example:8080.evil',
    'null',
    '',
  ]) {
    assert.equal(originAllowed(o, 'islet.example:8080', false, []), false, o);
  }
  assert.equal(originAllowed(undefined, 'islet.example:8080', false, []), false);
  // Plain HTTP origin against a TLS door: a scheme downgrade.
  assert.equal(originAllowed('http://islet.example', 'islet.example', true, []), false);
});

test('configured origins are matched exactly', () => {
  assert.equal(originAllowed('https://lab.example', '10.0.0.5:8080', false, ['https://lab.example']), true);
  assert.equal(originAllowed('https://lab.example:444', '10.0.0.5:8080', false, ['https://lab.example']), false);
});
