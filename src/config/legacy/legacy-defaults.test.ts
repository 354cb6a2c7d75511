/**
 * A legacy environment never weakens ISLET's defaults (issue 9 item 1).
 *
 * Table: each row is an environment in the original `.conf` syntax and its
 * YAML equivalent. Both are loaded by the real loader from real directories,
 * the legacy one alone, beside the original's islet.conf + modules/docker.conf,
 * and the YAML one alone; the Docker create options the runtime would send
 * must be identical, and must carry ISLET's safe defaults where the row does
 * not name a setting.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigDir, type LoadedConfig } from '../config-source.ts';
import { createOptions } from '../../runtime/docker/create-options.ts';
import { effectiveCapabilities } from '../../cli/commands/effective-settings.ts';
import { readFixture } from './fixtures/chain.ts';

const GiB = 1024 ** 3;

interface Row {
  readonly name: string;
  /** Lines of the environment's .conf file, after ENVIRONMENT and ENABLE. */
  readonly conf: string;
  /** The YAML equivalent, after `image:`. */
  readonly yaml: string;
  /** The capabilities the container must end up with. */
  readonly caps: readonly string[] | 'ALL';
  /** Ulimits that must be present, by name: [soft, hard]. */
  readonly ulimits?: Readonly<Record<string, readonly [number, number]>>;
}

const rows: readonly Row[] = [
  { name: 'nothing named', conf: '', yaml: '', caps: [] },
  { name: 'CAP_NET_RAW="no"', conf: 'CAP_NET_RAW="no"', yaml: '', caps: [] },
  { name: 'CAP_CHOWN="no" and CAP_KILL="no"', conf: 'CAP_CHOWN="no"\nCAP_KILL="no"', yaml: '', caps: [] },
  { name: 'CAP_NET_RAW="yes"', conf: 'CAP_NET_RAW="yes"', yaml: 'cap_add: [NET_RAW]', caps: ['NET_RAW'] },
  {
    name: 'CAP_NET_RAW="yes", CAP_NET_ADMIN="yes", CAP_MKNOD="no"',
    conf: 'CAP_NET_RAW="yes"\nCAP_NET_ADMIN="yes"\nCAP_MKNOD="no"',
    yaml: 'cap_add: [NET_RAW, NET_ADMIN]',
    caps: ['NET_ADMIN', 'NET_RAW'],
  },
  { name: 'CAP_SETUID="yes" in the environment itself', conf: 'CAP_SETUID="yes"', yaml: 'cap_add: [SETUID]', caps: ['SETUID'] },
  { name: 'CAP_NET_RAW="" (neither)', conf: 'CAP_NET_RAW=""', yaml: '', caps: [] },
  { name: 'CAP_NET_RAW="maybe" (neither, warned)', conf: 'CAP_NET_RAW="maybe"', yaml: '', caps: [] },
  { name: 'DROP_ALL="yes"', conf: 'DROP_ALL="yes"', yaml: 'cap_drop: [ALL]', caps: [] },
  { name: 'DROP_ALL="no"', conf: 'DROP_ALL="no"', yaml: '', caps: [] },
  { name: 'DROP_ALL="yes" and CAP_NET_ADMIN="yes"', conf: 'DROP_ALL="yes"\nCAP_NET_ADMIN="yes"', yaml: 'cap_add: [NET_ADMIN]', caps: ['NET_ADMIN'] },
  { name: 'ADD_ALL="no"', conf: 'ADD_ALL="no"', yaml: '', caps: [] },
  { name: 'ADD_ALL="yes"', conf: 'ADD_ALL="yes"', yaml: 'cap_add: [ALL]', caps: 'ALL' },
  { name: 'ADD_ALL="yes" and CAP_MKNOD="no"', conf: 'ADD_ALL="yes"\nCAP_MKNOD="no"', yaml: 'cap_add: [ALL]\ncap_drop: [ALL, MKNOD]', caps: ['ALL', '-MKNOD'] },
  { name: 'LOCAL_OPTIONS="--cap-drop NET_RAW"', conf: 'LOCAL_OPTIONS="--cap-drop NET_RAW"', yaml: '', caps: [] },
  {
    name: 'LOCAL_OPTIONS="--cap-add NET_RAW" and CAP_NET_RAW="no"',
    conf: 'LOCAL_OPTIONS="--cap-add NET_RAW"\nCAP_NET_RAW="no"',
    yaml: 'cap_add: [NET_RAW]',
    caps: ['NET_RAW'],
  },
  {
    name: 'ULIMIT_NOFILE="256:512"',
    conf: 'ULIMIT_NOFILE="256:512"',
    yaml: 'ulimits: { nofile: "256:512" }',
    caps: [],
    ulimits: { nofile: [256, 512], fsize: [GiB, GiB] },
  },
  {
    name: 'ULIMIT_NPROC="64:128"',
    conf: 'ULIMIT_NPROC="64:128"',
    yaml: 'ulimits: { nproc: "64:128" }',
    caps: [],
    ulimits: { nproc: [64, 128], nofile: [1024, 2048], fsize: [GiB, GiB] },
  },
  {
    name: 'ULIMIT_FSIZE="" and ULIMIT_NOFILE="no" (unset)',
    conf: 'ULIMIT_FSIZE=""\nULIMIT_NOFILE="no"',
    yaml: '',
    caps: [],
    ulimits: { nofile: [1024, 2048], fsize: [GiB, GiB] },
  },
  {
    name: 'ULIMIT_FSIZE="2048" replaces only fsize',
    conf: 'ULIMIT_FSIZE="2048"',
    yaml: 'ulimits: { fsize: 2048 }',
    caps: [],
    ulimits: { fsize: [2048, 2048], nofile: [1024, 2048] },
  },
  {
    name: 'ULIMIT_FSIZE="unlimited" lifts only fsize',
    conf: 'ULIMIT_FSIZE="unlimited"',
    yaml: 'ulimits: { fsize: unlimited }',
    caps: [],
    ulimits: { fsize: [-1, -1], nofile: [1024, 2048] },
  },
  // (A --ulimit among the options comes before the ULIMIT_* variables on the original's command line, so the module's
  // ULIMIT_NOFILE would win over `--ulimit nofile=…`; nproc is one the module leaves unset.)
  {
    name: 'GLOBAL_OPTIONS="--ulimit nproc=100:200 --cap-add NET_RAW"',
    conf: 'GLOBAL_OPTIONS="--ulimit nproc=100:200 --cap-add NET_RAW"',
    yaml: 'ulimits: { nproc: "100:200" }\ncap_add: [NET_RAW]',
    caps: ['NET_RAW'],
    ulimits: { nproc: [100, 200] },
  },
];

function configDir(t: { after: (f: () => void) => void }, files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'islet-legacy-defaults-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(d, p, '..'), { recursive: true });
    writeFileSync(join(d, p), text);
  }
  return d;
}

/** The create options of environment `t`, with the file path out of the way (only `source` differs). */
function created(cfg: LoadedConfig) {
  const env = cfg.environments.find((e) => e.name === 't');
  assert.ok(env, `environment t loads: ${cfg.issues.map((i) => i.message).join('; ')}`);
  assert.deepEqual(
    cfg.issues.filter((i) => i.severity === 'critical'),
    [],
  );
  return createOptions({ name: 'islet.t.alice', env: { ...env, source: '' }, labels: {} });
}

const originalModule = { 'islet.conf': readFixture('islet.conf'), 'modules/docker.conf': readFixture('modules/docker.conf') };

for (const row of rows) {
  test(`legacy ${row.name} gets the same create options as its YAML equivalent, with and without the original's module`, (t) => {
    const conf = `ENVIRONMENT="islet/demo:latest"\nENABLE="yes"\n${row.conf}\n`;
    const yaml = created(loadConfigDir(configDir(t, { 'environments/t.yaml': `image: islet/demo:latest\n${row.yaml}\n` })));
    const alone = created(loadConfigDir(configDir(t, { 'environments/t.conf': conf })));
    const withModule = created(loadConfigDir(configDir(t, { ...originalModule, 'environments/t.conf': conf })));
    const yamlBesideModule = created(loadConfigDir(configDir(t, { ...originalModule, 'environments/t.yaml': `image: islet/demo:latest\n${row.yaml}\n` })));
    assert.deepEqual(alone, yaml, '.conf alone = YAML');
    assert.deepEqual(withModule, yaml, '.conf beside the original islet.conf and modules/docker.conf = YAML');
    assert.deepEqual(yamlBesideModule, yaml, 'the original module does not change a YAML environment either');

    // And the common result is ISLET's safe default wherever the row names nothing.
    const h = yaml.HostConfig!;
    assert.deepEqual(effectiveCapabilities(h.CapAdd ?? [], h.CapDrop ?? []), row.caps);
    assert.ok(h.CapDrop!.includes('ALL'), `cap_drop keeps ALL: ${JSON.stringify(h.CapDrop)}`);
    assert.deepEqual(h.SecurityOpt, ['no-new-privileges']);
    assert.equal(h.PidsLimit, 256);
    assert.equal(h.NetworkMode, 'none');
    assert.equal(h.Privileged, false);
    const ulimits = Object.fromEntries((h.Ulimits ?? []).map((u) => [u.Name, [u.Soft, u.Hard]]));
    assert.deepEqual(ulimits, { nofile: [1024, 2048], fsize: [GiB, GiB], ...row.ulimits });
  });
}

test('the original module says once that its SETFCAP/SETUID/SETGID defaults are withheld; environments inheriting them say nothing', (t) => {
  const cfg = loadConfigDir(
    configDir(t, {
      ...originalModule,
      'environments/a.conf': 'ENVIRONMENT="islet/demo:latest"\nENABLE="yes"\nCAP_NET_RAW="no"\n',
      'environments/b.conf': 'ENVIRONMENT="islet/demo:latest"\nENABLE="yes"\nULIMIT_NOFILE="256:512"\n',
      'environments/c.yaml': 'image: islet/demo:latest\n',
    }),
  );
  const said = cfg.issues.filter((i) => /CAP_SETFCAP, CAP_SETUID, CAP_SETGID="yes"/.test(i.message));
  assert.equal(said.length, 1, cfg.issues.map((i) => i.message).join('\n'));
  assert.match(said[0]!.file, /modules\/docker\.conf$/);
  assert.equal(said[0]!.severity, 'warning');
  for (const e of cfg.environments) assert.deepEqual(e.cap_add, [], `${e.name} gets no capability`);
});

test('a YAML `defaults` ulimit and an environment ulimit combine one limit at a time over the defaults', (t) => {
  const cfg = loadConfigDir(
    configDir(t, {
      'islet.yaml': 'defaults:\n  ulimits: { nproc: "50:60" }\n',
      'environments/t.yaml': 'image: islet/demo:latest\nulimits: { nofile: 10 }\n',
    }),
  );
  assert.deepEqual(cfg.environments[0]!.ulimits, { nofile: { soft: 10, hard: 10 }, fsize: { soft: GiB, hard: GiB }, nproc: { soft: 50, hard: 60 } });
  const from = cfg.sources!.get('t')!;
  assert.equal(from('ulimits.fsize'), undefined, 'fsize is the default');
  assert.deepEqual(from('ulimits.nofile'), { file: join(cfg.environments[0]!.source), line: 2, option: 'ulimits.nofile' });
  assert.match(from('ulimits.nproc')!.file, /islet\.yaml$/);
  assert.equal(from('ulimits.nproc')!.option, 'defaults.ulimits.nproc');
});
