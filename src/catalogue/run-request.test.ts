import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRunArgs } from './run-request.ts';

function world(t: { after: (f: () => void) => void }): { d: string; ds: string; pcap: string } {
  const d = mkdtempSync(join(tmpdir(), 'islet-runreq-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  mkdirSync(join(d, 'datasets', 'lab'), { recursive: true });
  writeFileSync(join(d, 'a.pcap'), '');
  return { d, ds: join(d, 'datasets'), pcap: join(d, 'a.pcap') };
}

test('paths, datasets and src:dst become mounts; the working directory follows ContainNSM', (t) => {
  const { d, ds, pcap } = world(t);
  const r = parseRunArgs(['-r', `${pcap},lab`, '-r', `${d}:/input`, 'tcpdump:4.99.3', '--', 'tcpdump', '-r', 'a.pcap'], ds, { grouprun: false, cwd: d });
  assert.deepEqual(r.readOnly, [
    { source: pcap, target: pcap },
    { source: join(ds, 'lab'), target: '/datasets/lab' },
    { source: d, target: '/input' },
  ]);
  assert.equal(r.workdir, d, 'the directory of the first -r file');
  assert.deepEqual(r.command, ['tcpdump', '-r', 'a.pcap']);
  assert.equal(r.ref, 'tcpdump:4.99.3');
  const rel = parseRunArgs(['-r', 'a.pcap', 'tcpdump', '--', 'true'], ds, { grouprun: false, cwd: d });
  assert.deepEqual(rel.readOnly, [{ source: pcap, target: pcap }], 'a relative path is resolved against the current directory');
});

test('refusals: the engine socket, system directories, relative paths, root, misplaced flags, duplicates', (t) => {
  const { d, ds, pcap } = world(t);
  const run =
    (...a: string[]) =>
    () =>
      parseRunArgs(a, ds, { grouprun: false, cwd: d });
  assert.throws(run('tcpdump', 'true'), /after `--`/);
  assert.throws(run('-r', '/var/run/docker.sock', 'tcpdump', '--', 'true'), /refusing to mount \/var\/run\/docker\.sock|does not exist/);
  assert.throws(run('-r', `${pcap}:/etc/passwd`, 'tcpdump', '--', 'true'), /refusing to mount over \/etc\/passwd/);
  assert.throws(run('-r', `${pcap}:relative`, 'tcpdump', '--', 'true'), /must be absolute/);
  assert.throws(run('-r', `${pcap}:/x/../etc`, 'tcpdump', '--', 'true'), /must be absolute/);
  assert.throws(run('-C', 'data', 'tcpdump', '--', 'true'), /-C: .* absolute/);
  assert.throws(run('-u', 'root', 'tcpdump', '--', 'true'), /running as root is refused/);
  assert.throws(run('-u', '0:0', 'tcpdump', '--', 'true'), /running as root is refused/);
  assert.throws(run('-c', '2', 'tcpdump', '--', 'true'), /-c belongs to grouprun/);
  assert.throws(run('-r', `${pcap}:/in`, '-r', `${d}:/in`, 'tcpdump', '--', 'true'), /two mounts at \/in/);
  assert.throws(run('-r', 'nosuch', 'tcpdump', '--', 'true'), /is neither a dataset/);
  assert.throws(run('-u', 'a;b', 'tcpdump', '--', 'true'), /invalid user/);
  // Controls: the same shapes with allowed values pass.
  assert.equal(parseRunArgs(['-r', `${pcap}:/in/a.pcap`, '-C', '/in', '-u', 'islet', 'tcpdump', '--', 'true'], ds, { grouprun: false, cwd: d }).workdir, '/in');
  assert.equal(parseRunArgs(['-c', '2', 'tcpdump', '--', 'true'], ds, { grouprun: true, cwd: d }).count, 2);
});
