import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostsFiles, hostsFileText } from './hosts-files.ts';

test('hostsFileText: localhost (v4 and v6) and the hostname on loopback', () => {
  assert.equal(hostsFileText('demo'), '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.0.1\tdemo\n');
});

test('HostsFiles: writes each file once, readable by all, and repairs a changed one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-hosts-'));
  try {
    const h = new HostsFiles(join(dir, 'etc-hosts'));
    const f = h.fileFor('demo');
    assert.equal(f, join(dir, 'etc-hosts', 'demo'));
    assert.equal(readFileSync(f, 'utf8'), hostsFileText('demo'));
    assert.equal(statSync(f).mode & 0o777, 0o644);
    // A file left wrong (by hand, or by an older ISLET) is replaced by the next process that needs it.
    writeFileSync(f, 'garbage\n');
    assert.equal(new HostsFiles(join(dir, 'etc-hosts')).fileFor('demo'), f);
    assert.equal(readFileSync(f, 'utf8'), hostsFileText('demo'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('HostsFiles: refuses anything that is not a hostname label (no path can escape the directory)', () => {
  const h = new HostsFiles('/nonexistent-islet-dir');
  for (const bad of ['../etc', 'a/b', '', '-a', 'A', 'a'.repeat(64), 'demo\n']) assert.throws(() => h.fileFor(bad), /not a hostname label/, bad);
});
