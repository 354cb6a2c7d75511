import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClientControl, urlHello } from './protocol.ts';

test("a hello in the upgrade URL carries only a new session's size; anything else waits for the hello frame", () => {
  assert.deepEqual(urlHello('/ws?v=1&cols=132&rows=43'), { t: 'hello', v: 1, cols: 132, rows: 43 });
  assert.deepEqual(urlHello('/ws?v=1&cols=99999&rows=x'), { t: 'hello', v: 1, cols: 80, rows: 24 }, 'bad sizes fall back');
  // Control for the refusals below: the same URL without the extra key is a hello.
  assert.ok(urlHello('/ws?v=1&cols=80&rows=24'));
  for (const url of ['/ws', '/ws?', '/ws?v=2&cols=80&rows=24', '/ws?cols=80&rows=24', '/ws?v=1&cols=80&rows=24&login=alice', '/ws?v=1&resume=x']) {
    assert.equal(urlHello(url), undefined, url);
  }
});

test('a help-bar answer is one of allow, refuse, end; anything else is malformed', () => {
  for (const answer of ['allow', 'refuse', 'end'] as const) {
    assert.deepEqual(parseClientControl(JSON.stringify({ t: 'watch-answer', answer })), { t: 'watch-answer', answer });
  }
  for (const bad of [{ t: 'watch-answer' }, { t: 'watch-answer', answer: 'y' }, { t: 'watch-answer', answer: ['allow'] }]) {
    assert.equal(parseClientControl(JSON.stringify(bad)), undefined, JSON.stringify(bad));
  }
});
