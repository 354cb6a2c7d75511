import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerRunArgs, type RunSpec } from './run-options.ts';

const base: RunSpec = {
  name: 'islet-run-x',
  image: 'islet/tcpdump:4.99.3',
  command: ['tcpdump', '-nr', '/data/a.pcap'],
  readOnly: [{ source: '/srv/pcaps/a.pcap', target: '/data/a.pcap' }],
  writable: [],
  labels: { 'islet.run': '1' },
  capAdd: [],
  interactive: false,
  tty: false,
};

function flag(args: string[], f: string): string[] {
  return args.flatMap((a, i) => (a === f ? [args[i + 1]!] : []));
}

test('islet run gets the trainee container hardening: caps dropped, no new privileges, no network, limits, read-only inputs', () => {
  const a = dockerRunArgs(base);
  assert.deepEqual(flag(a, '--cap-drop'), ['ALL']);
  assert.deepEqual(flag(a, '--security-opt'), ['no-new-privileges']);
  assert.deepEqual(flag(a, '--network'), ['none']);
  assert.deepEqual(flag(a, '--pids-limit'), ['256']);
  assert.ok(flag(a, '--memory')[0]);
  assert.deepEqual(flag(a, '--volume'), ['/srv/pcaps/a.pcap:/data/a.pcap:ro']);
  assert.ok(!a.includes('--privileged'));
  assert.deepEqual(a.slice(-3), ['islet/tcpdump:4.99.3', '-nr', '/data/a.pcap']);
  assert.deepEqual(flag(a, '--entrypoint'), ['tcpdump']);
});

test('only write-back directories are writable; capture capabilities only when asked', () => {
  const a = dockerRunArgs({ ...base, writable: [{ source: '/srv/out', target: '/work' }], capAdd: ['NET_RAW', 'NET_ADMIN'] });
  assert.deepEqual(flag(a, '--volume'), ['/srv/pcaps/a.pcap:/data/a.pcap:ro', '/srv/out:/work:rw']);
  assert.deepEqual(flag(a, '--cap-add'), ['NET_RAW', 'NET_ADMIN']);
  // Control: without capAdd there is none.
  assert.deepEqual(flag(dockerRunArgs(base), '--cap-add'), []);
});
