import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layerUsage, MIN_ENTRY_BYTES } from './layer-usage.ts';

test('many tiny and empty files are charged at least one block each, unlike their byte count', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-layer-'));
  try {
    const empty = await layerUsage(dir);
    mkdirSync(join(dir, 'a/b'), { recursive: true });
    for (let i = 0; i < 500; i++) writeFileSync(join(dir, 'a/b', `f${i}`), i % 2 ? 'x' : '');
    symlinkSync('/etc', join(dir, 'link-to-etc')); // never followed
    const full = await layerUsage(dir);
    // 500 files of at most one byte (250 bytes in all) plus two directories and a link.
    assert.ok(full - empty >= 503 * MIN_ENTRY_BYTES, `charged ${full - empty} bytes for 503 entries`);
    assert.ok(full - empty < 503 * MIN_ENTRY_BYTES * 4, `not walked into /etc through the link (${full - empty} bytes)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a big file counts its allocated blocks; an unreadable directory rejects (the driver then asks the engine)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-layer-'));
  try {
    writeFileSync(join(dir, 'big'), Buffer.alloc(3 * 1024 * 1024, 1));
    assert.ok((await layerUsage(dir)) >= 3 * 1024 * 1024);
    await assert.rejects(layerUsage(join(dir, 'missing')), /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
