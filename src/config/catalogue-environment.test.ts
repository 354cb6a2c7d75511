import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveCatalogueEnvironment } from './catalogue-environment.ts';

function catalogue(t: { after: (f: () => void) => void }): { cat: string; ds: string } {
  const d = mkdtempSync(join(tmpdir(), 'islet-catenv-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  const recipe = (tool: string, v: string, caps: boolean): void => {
    mkdirSync(join(d, 'cat', tool, v), { recursive: true });
    writeFileSync(
      join(d, 'cat', tool, v, 'recipe.yaml'),
      `suite: bookworm\npackages: [${tool}]\n${caps ? `capabilities:\n  ${tool}: cap_net_raw,cap_net_admin+eip\n` : ''}`,
    );
  };
  recipe('tcpdump', '4.9.3', true);
  recipe('tcpdump', '4.10.0', true);
  recipe('yara', '4.2.3', false);
  mkdirSync(join(d, 'ds', 'lab'), { recursive: true });
  return { cat: join(d, 'cat'), ds: join(d, 'ds') };
}

test('program without version: the highest version (as versions, 4.10 above 4.9), capture caps, version in the menu text', (t) => {
  const { cat, ds } = catalogue(t);
  const input: Record<string, unknown> = { program: 'tcpdump', description: 'Packet lab' };
  assert.deepEqual(resolveCatalogueEnvironment(input, 'f.yaml', ds, cat), []);
  assert.equal(input.image, 'islet/tcpdump:4.10.0');
  assert.equal(input.version, '4.10.0');
  assert.equal(input.description, 'Packet lab (tcpdump 4.10.0)');
  assert.deepEqual(input.cap_add, ['NET_RAW', 'NET_ADMIN']);
  // Control: a tool without file capabilities gets none.
  const y: Record<string, unknown> = { program: 'yara' };
  resolveCatalogueEnvironment(y, 'f.yaml', ds, cat);
  assert.deepEqual([y.image, y.cap_add], ['islet/yara:4.2.3', undefined]);
});

test('an unknown program or version is critical and says what exists', (t) => {
  const { cat, ds } = catalogue(t);
  const i1 = resolveCatalogueEnvironment({ program: 'bro' }, 'f.yaml', ds, cat);
  assert.match(i1[0]!.message, /program: bro is not in the catalogue/);
  const i2 = resolveCatalogueEnvironment({ program: 'tcpdump', version: 4.1 }, 'f.yaml', ds, cat);
  assert.equal(i2[0]!.severity, 'critical');
  assert.match(i2[0]!.message, /tcpdump 4\.1 is not in the catalogue \(versions: 4\.9\.3, 4\.10\.0\); quote versions/);
});

test('legacy ContainNSM images resolve to the catalogue image of that version; others are left with a warning', (t) => {
  const { cat, ds } = catalogue(t);
  const hit: Record<string, unknown> = { image: 'opennsm/tcpdump:4.9.3' };
  assert.deepEqual(resolveCatalogueEnvironment(hit, 'x.conf', ds, cat), []);
  assert.deepEqual([hit.image, hit.program, hit.version], ['islet/tcpdump:4.9.3', 'tcpdump', '4.9.3']);
  const miss: Record<string, unknown> = { image: 'opennsm/tcpdump:4.0.0' };
  const issues = resolveCatalogueEnvironment(miss, 'x.conf', ds, cat);
  assert.equal(miss.image, 'opennsm/tcpdump:4.0.0');
  assert.match(issues[0]!.message, /catalogue lacks \(it has tcpdump 4\.9\.3, 4\.10\.0\)/);
  const other: Record<string, unknown> = { image: 'islet/demo:latest' };
  assert.deepEqual(resolveCatalogueEnvironment(other, 'x.conf', ds, cat), []);
  assert.equal(other.image, 'islet/demo:latest');
});

test('datasets become read-only mounts at /datasets/<name>; lab_network joins a bridge with capture rights', (t) => {
  const { cat, ds } = catalogue(t);
  const input: Record<string, unknown> = { program: 'tcpdump', datasets: ['lab', 'missing'], lab_network: { replay: 'lab/a.pcap' } };
  const issues = resolveCatalogueEnvironment(input, 'f.yaml', ds, cat);
  assert.deepEqual(input.mounts, [
    { source: join(ds, 'lab'), target: '/datasets/lab' },
    { source: join(ds, 'missing'), target: '/datasets/missing' },
  ]);
  assert.match(issues[0]!.message, /no dataset missing/);
  assert.equal(input.network, 'bridge');
  assert.equal(input.no_new_privileges, false);
  // A warm pool would start containers on the outbound bridge: turned off with a warning (control: kept without a lab).
  const pooled: Record<string, unknown> = { program: 'tcpdump', warm_pool: 2, lab_network: { replay: 'lab/a.pcap' } };
  assert.match(resolveCatalogueEnvironment(pooled, 'f.yaml', ds, cat)[0]!.message, /lab_network environments have no warm pool/);
  assert.equal(pooled.warm_pool, 0);
  const plain: Record<string, unknown> = { program: 'tcpdump', warm_pool: 2 };
  resolveCatalogueEnvironment(plain, 'f.yaml', ds, cat);
  assert.equal(plain.warm_pool, 2);
});
