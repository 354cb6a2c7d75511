// Image references and the engine's pull progress stream (pull.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readPullProgress, splitReference } from './pull.ts';

describe('pull helpers', () => {
  test('splitReference', () => {
    assert.deepEqual(splitReference('islet/demo'), { repo: 'islet/demo', tag: 'latest' });
    assert.deepEqual(splitReference('islet/demo:1.2'), { repo: 'islet/demo', tag: '1.2' });
    assert.deepEqual(splitReference('registry:5000/islet/demo'), { repo: 'registry:5000/islet/demo', tag: 'latest' });
    assert.deepEqual(splitReference('registry:5000/islet/demo:v3'), { repo: 'registry:5000/islet/demo', tag: 'v3' });
    assert.deepEqual(splitReference('debian@sha256:abcd'), { repo: 'debian', tag: 'sha256:abcd' });
  });

  test('readPullProgress reports phase changes, skips byte counters, tolerates split chunks', async () => {
    const lines = [
      { status: 'Pulling from library/debian', id: 'bookworm' },
      { status: 'Pulling fs layer', id: 'abc' },
      { status: 'Downloading', id: 'abc', progress: '[=>  ] 1MB/50MB' },
      { status: 'Downloading', id: 'abc', progress: '[==> ] 2MB/50MB' },
      { status: 'Download complete', id: 'abc' },
      { status: 'Pull complete', id: 'abc' },
      { status: 'Digest: sha256:ffff' },
      { status: 'Status: Downloaded newer image for debian:bookworm' },
    ]
      .map((l) => JSON.stringify(l))
      .join('\n');
    const chunks = [lines.slice(0, 17), lines.slice(17, 100), lines.slice(100)];
    const seen: string[] = [];
    await readPullProgress(
      (async function* () {
        for (const c of chunks) yield Buffer.from(c);
      })(),
      (l) => seen.push(l),
    );
    assert.deepEqual(seen, [
      'bookworm: Pulling from library/debian',
      'abc: Pulling fs layer',
      'abc: Download complete',
      'abc: Pull complete',
      'Digest: sha256:ffff',
      'Status: Downloaded newer image for debian:bookworm',
    ]);
  });

  test('readPullProgress throws on an error line', async () => {
    const failed = JSON.stringify({ errorDetail: { message: 'manifest unknown' }, error: 'manifest unknown' });
    const body = `${JSON.stringify({ status: 'Pulling from x' })}\n${failed}\n`;
    await assert.rejects(
      readPullProgress([body], () => undefined),
      /manifest unknown/,
    );
  });
});
