/**
 * The catalogue end to end, as a trainer uses it: bootstrap a Debian base
 * from the archive, build tcpdump from two suites, compare the versions with
 * grouprun on a pcap this test writes, and `islet run` with read-only inputs
 * and a write-back directory. Images are built on demand and cached by their
 * recipe label, so a second run builds nothing.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { islet } from '../helpers/islet-cli.ts';
import { repoRoot } from '../helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { writePcap } from '../helpers/pcap.ts';

const runId = testRunId();
const base = mkdtempSync(join(tmpdir(), 'islet-catalogue-'));
const data = join(base, 'data');
const env = { ISLET_DATA: data, ISLET_TEST_RUN: runId };
after(async () => {
  await sweepTestContainers(runId);
  rmSync(base, { recursive: true, force: true });
});

const packets = [1, 2, 3].map((i) => ({ src: '10.0.0.1', dst: '10.0.0.2', sport: 40000 + i, dport: 9999, payload: `hello${i}` }));
const pcapDir = join(base, 'pcaps');
mkdirSync(pcapDir);
writePcap(join(pcapDir, 'lab.pcap'), packets);
// World-writable on the host: only the read-only mount can stop a write from the container.
chmodSync(join(pcapDir, 'lab.pcap'), 0o666);

const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8', timeout: 120_000 });
const LONG = { timeout: 25 * 60_000 };

test('bootstrap: a Debian base from the archive with an unprivileged user, no passwords, no setuid files; a second run is fast', LONG, async () => {
  const first = await islet(['image', 'bootstrap', '--suite', 'bookworm'], env);
  assert.equal(first.code, 0, first.err);
  assert.match(first.out, /islet\/base:bookworm\s+(up-to-date|bootstrapped|imported-from-cache)/);
  const second = await islet(['image', 'bootstrap', '--suite', 'bookworm'], env);
  assert.equal(second.code, 0, second.err);
  assert.match(second.out, /islet\/base:bookworm\s+up-to-date/);
  assert.ok(second.ms < 60_000, `second bootstrap took ${second.ms} ms`);

  assert.equal(docker('run', '--rm', '--label', `islet.test=${runId}`, 'islet/base:bookworm', 'id', '-un').trim(), 'islet');
  // No setuid/setgid file; control: the same probe finds one planted in /tmp.
  const suid = docker(
    'run',
    '--rm',
    '--label',
    `islet.test=${runId}`,
    '--user',
    'root',
    'islet/base:bookworm',
    'sh',
    '-c',
    'find / -xdev -type f -perm /6000 -not -path "/tmp/*" | wc -l; touch /tmp/planted; chmod u+s /tmp/planted; find /tmp -type f -perm /6000',
  );
  assert.deepEqual(suid.trim().split('\n'), ['0', '/tmp/planted']);
  const shadow = docker(
    'run',
    '--rm',
    '--label',
    `islet.test=${runId}`,
    '--user',
    'root',
    'islet/base:bookworm',
    'sh',
    '-c',
    'grep -E "^(root|islet):" /etc/shadow | cut -d: -f1,2; command -v sudo || echo no-sudo',
  );
  assert.match(shadow, /^root:!/m);
  assert.match(shadow, /^islet:!/m);
  assert.match(shadow, /^no-sudo$/m);
});

test('two tcpdump versions from two suites, compared by grouprun on a generated pcap', LONG, async () => {
  const build = await islet(['image', 'build', 'tcpdump/4.99.3', 'tcpdump/4.99.5', '--jobs', '2'], env);
  assert.equal(build.code, 0, `${build.out}\n${build.err}`);
  assert.match(build.out, /tcpdump\/4\.99\.3\s+(built|up-to-date)/);
  assert.match(build.out, /tcpdump\/4\.99\.5\s+(built|up-to-date)/);

  const labels = JSON.parse(docker('image', 'inspect', '--format', '{{json .Config.Labels}}', 'islet/tcpdump:4.99.5')) as Record<string, string>;
  assert.equal(labels['org.islet.program'], 'tcpdump');
  assert.equal(labels['org.islet.version'], '4.99.5');
  assert.equal(labels['org.islet.suite'], 'trixie');
  assert.equal(labels.program, 'tcpdump');
  assert.equal(labels.organization, 'opennsm');
  // ContainNSM's filter still finds it.
  assert.match(
    docker('images', '--filter', 'label=organization=opennsm', '--filter', 'label=program=tcpdump', '--format', '{{.Repository}}:{{.Tag}}'),
    /islet\/tcpdump:4\.99\.5/,
  );
  // Capture rights as file capabilities, not setuid root; the image's user is unprivileged.
  const caps = docker(
    'run',
    '--rm',
    '--label',
    `islet.test=${runId}`,
    'islet/tcpdump:4.99.3',
    'sh',
    '-c',
    'id -u; getcap "$(command -v tcpdump)"; find / -xdev -type f -perm /6000 2>/dev/null | wc -l',
  );
  assert.match(caps, /^1000\n.*tcpdump cap_net_admin,cap_net_raw=eip\n0\n$/);

  const add = await islet(['dataset', 'add', 'lab', pcapDir], env);
  assert.equal(add.code, 0, add.err);
  const g = await islet(['grouprun', '--json', '-r', 'lab', 'tcpdump', '--', 'tcpdump', '-nn', '-r', '/datasets/lab/lab.pcap'], env);
  assert.equal(g.code, 0, `${g.out}\n${g.err}`);
  const res = JSON.parse(g.out) as { results: { version: string; exitCode: number; output: string; stderr: string }[] };
  const versions = res.results.map((r) => r.version);
  assert.ok(versions.includes('4.99.3') && versions.includes('4.99.5'), versions.join(','));
  assert.deepEqual(
    versions,
    [...versions].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })),
    'lowest version first',
  );
  const lines = (o: string): string[] => o.split('\n').filter((l) => /^\d\d:\d\d:\d\d/.test(l));
  for (const r of res.results) {
    assert.equal(r.exitCode, 0, `${r.output}\n${r.stderr}`);
    assert.match(r.stderr, /reading from file \/datasets\/lab\/lab\.pcap/, 'stderr is reported apart from stdout');
    assert.deepEqual(
      lines(r.output).map((l) => l.replace(/^\S+ /, '')),
      packets.map((p) => `IP 10.0.0.1.${p.sport} > 10.0.0.2.9999: UDP, length 6`),
      `${r.version}: ${r.output}`,
    );
  }
  assert.equal(new Set(res.results.map((r) => lines(r.output).join('\n'))).size, 1, 'every version decodes the same packets');

  // -c 1: only the highest version (ContainNSM's count limit); the table row and the output section.
  const text = await islet(['grouprun', '-c', '1', '-r', 'lab', 'tcpdump', '--', 'tcpdump', '-nn', '-r', '/datasets/lab/lab.pcap'], env);
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /^4\.99\.5\s+0\s+[\d.]+ s\s+-\s+/m);
  assert.match(text.out, /^--- tcpdump 4\.99\.5 \(exit 0, [\d.]+ s\) ---$/m);
  assert.doesNotMatch(text.out, /4\.99\.3/);
});

test('islet image ls: built and buildable, versions sorted as versions, sizes, --json', LONG, async () => {
  const ls = await islet(['image', 'ls', 'tcpdump', '--json'], env);
  assert.equal(ls.code, 0, ls.err);
  const rows = JSON.parse(ls.out) as { version: string; built: boolean; size?: number; suite: string }[];
  assert.deepEqual(
    rows.map((r) => r.version),
    ['4.99.0', '4.99.3', '4.99.5'],
  );
  assert.deepEqual(
    rows.map((r) => r.suite),
    ['bullseye', 'bookworm', 'trixie'],
  );
  for (const r of rows.filter((x) => x.version !== '4.99.0')) {
    assert.equal(r.built, true);
    assert.ok((r.size ?? 0) > 50e6);
  }
  const text = await islet(['image', 'ls'], env);
  assert.match(text.out, /^tcpdump\s+4\.99\.5\s+trixie\s+built\s+\d+ MB\s+islet\/tcpdump:4\.99\.5$/m);
  assert.match(text.out, /^suricata\s+/m);
});

test('islet run: read-only inputs, a write-back directory, the hardened container, clear errors', LONG, async () => {
  const out = join(base, 'out');
  mkdirSync(out);
  chownSync(out, 1000, 1000);
  const pcap = join(pcapDir, 'lab.pcap');
  const r = await islet(
    [
      'run',
      '-r',
      pcap,
      '-w',
      out,
      'tcpdump:4.99.3',
      '--',
      'sh',
      '-c',
      `tcpdump -nn -r ${pcap} -w copy.pcap && id -u && grep -E '^(CapEff|NoNewPrivs)' /proc/self/status && (echo x >> ${pcap} || echo ro-refused)`,
    ],
    env,
  );
  assert.equal(r.code, 0, `${r.out}\n${r.err}`);
  assert.ok(existsSync(join(out, 'copy.pcap')) && statSync(join(out, 'copy.pcap')).uid === 1000, 'written back as uid 1000');
  assert.match(r.out, /^1000$/m);
  assert.match(r.out, /^CapEff:\s+0+$/m);
  assert.match(r.out, /^NoNewPrivs:\s+1$/m);
  assert.match(r.err, /Read-only file system/);
  assert.match(r.out, /^ro-refused$/m);

  const noDash = await islet(['run', 'tcpdump', 'tcpdump', '--version'], env);
  assert.equal(noDash.code, 3);
  assert.match(noDash.err, /\[CATALOGUE_INVALID\] put the command to run after `--`/);
  const missing = await islet(['run', '-r', join(base, 'nope.pcap'), 'tcpdump', '--', 'true'], env);
  assert.match(missing.err, /\[CATALOGUE_NOT_FOUND\] -r: .*nope\.pcap does not exist/);
  const root = await islet(['run', '-u', 'root', 'tcpdump', '--', 'id'], env);
  assert.match(root.err, /\[CATALOGUE_INVALID\] -u: running as root is refused/);
  const hostNet = await islet(['run', '-i', '--config', join(repoRoot, 'examples'), 'tcpdump', '--', 'true'], env);
  assert.match(hostNet.err, /\[CATALOGUE_INVALID\] -i .*host_capture: true/);
  // Control: a trainer's config that allows it gives the host's network (docker0 is the host's, never a container's).
  const allow = join(base, 'allow-capture');
  mkdirSync(allow);
  writeFileSync(join(allow, 'islet.yaml'), 'host_capture: true\n');
  const onHost = await islet(['run', '-i', '--config', allow, 'tcpdump', '--', 'ls', '/sys/class/net'], env);
  assert.equal(onHost.code, 0, onHost.err);
  assert.match(onHost.out, /^docker0$/m);
  // Control for the errors: the same image and command line without the fault works.
  const ok = await islet(['run', 'tcpdump', '--', 'tcpdump', '--version'], env);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out + ok.err, /tcpdump version 4\.99\.5/, 'no version: the highest built');

  // A tool in the catalogue but not built: the error names the command that builds it.
  const cat = join(base, 'catalogue');
  cpSync(join(repoRoot, 'catalogue', 'tcpdump'), join(cat, 'tcpdump'), { recursive: true });
  const made = await islet(['image', 'new', 'faketool/1.0', '--suite', 'bookworm'], { ...env, ISLET_CATALOGUE: cat });
  assert.equal(made.code, 0, made.err);
  const nb = await islet(['run', 'faketool', '--', 'true'], { ...env, ISLET_CATALOGUE: cat });
  assert.match(nb.err, /\[CATALOGUE_NOT_FOUND\] faketool is not built yet; build it with: islet image build faketool\/1\.0/);
});

test('a Dockerfile recipe builds offline from a bootstrapped base; image rm removes it; datasets are listed and removed', LONG, async () => {
  const cat = join(base, 'catalogue-df');
  mkdirSync(join(cat, 'hello', '1.0'), { recursive: true });
  writeFileSync(join(cat, 'hello', '1.0', 'Dockerfile'), 'FROM islet/base:bookworm\nRUN echo hello-from-recipe > /home/islet/hello.txt\n');
  const cenv = { ...env, ISLET_CATALOGUE: cat };
  const b = await islet(['image', 'build', 'hello'], cenv);
  assert.equal(b.code, 0, `${b.out}\n${b.err}`);
  const labels = JSON.parse(docker('image', 'inspect', '--format', '{{json .Config.Labels}}', 'islet/hello:1.0')) as Record<string, string>;
  assert.equal(labels['org.islet.program'], 'hello');
  assert.equal(labels.organization, 'opennsm');
  const r = await islet(['run', 'hello', '--', 'cat', '/home/islet/hello.txt'], cenv);
  assert.equal(r.out.trim(), 'hello-from-recipe', r.err);
  const again = await islet(['image', 'build', 'hello'], cenv);
  assert.match(again.out, /hello\/1\.0\s+up-to-date/);
  const rm = await islet(['image', 'rm', 'hello'], cenv);
  assert.match(rm.out, /islet\/hello:1\.0\s+removed/);
  const ls = JSON.parse((await islet(['image', 'ls', '--json'], cenv)).out) as { tool: string; built: boolean }[];
  assert.deepEqual(
    ls.map((x) => [x.tool, x.built]),
    [['hello', false]],
  );

  const dl = JSON.parse((await islet(['dataset', 'ls', '--json'], env)).out) as { name: string; files: number }[];
  assert.deepEqual(
    dl.map((d) => [d.name, d.files]),
    [['lab', 1]],
  );
  const badName = await islet(['dataset', 'add', '../x', pcapDir], env);
  assert.match(badName.err, /\[CATALOGUE_INVALID\] invalid dataset name/);
  assert.equal((await islet(['dataset', 'rm', 'lab'], env)).code, 0);
  assert.deepEqual(JSON.parse((await islet(['dataset', 'ls', '--json'], env)).out), []);
  const gone = await islet(['run', '-r', 'lab', 'tcpdump', '--', 'true'], env);
  assert.match(gone.err, /\[CATALOGUE_NOT_FOUND\] -r: lab is neither a dataset/);
});

test('islet check names what a catalogue environment lacks and the command that builds it', LONG, async () => {
  const cfg = join(base, 'check-config');
  mkdirSync(join(cfg, 'environments'), { recursive: true });
  writeFileSync(join(cfg, 'environments', 'lab.yaml'), 'program: tcpdump\nversion: "4.99.5"\nlab_network:\n  replay: lab/lab.pcap\n');
  writeFileSync(join(cfg, 'environments', 'legacy.conf'), 'ENVIRONMENT="opennsm/faketool:1.0"\nENABLE="yes"\n');
  // A catalogue whose tcpreplay and faketool are not built.
  const cat = join(base, 'catalogue-check');
  cpSync(join(repoRoot, 'catalogue', 'tcpdump'), join(cat, 'tcpdump'), { recursive: true });
  for (const [tool, v] of [
    ['tcpreplay', '0.0.1'],
    ['faketool', '1.0'],
  ] as const) {
    mkdirSync(join(cat, tool, v), { recursive: true });
    writeFileSync(join(cat, tool, v, 'recipe.yaml'), `suite: bookworm\npackages: [${tool}]\n`);
  }
  const missing = await islet(['check', '--config', cfg], { ...env, ISLET_CATALOGUE: cat });
  assert.equal(missing.code, 2, missing.out);
  assert.match(missing.out, /lab\.yaml: critical: lab_network: no traffic generator image is built; build it with: islet image build tcpreplay /);
  assert.match(missing.out, /legacy\.conf: critical: image: image islet\/faketool:1\.0 of environment "legacy" is not on the engine; /);
  assert.match(missing.out, /; build it with: islet image build faketool\/1\.0 \[IMAGE_MISSING\]/);
  // Control: with the real catalogue (tcpreplay built by the trainee test or on demand here) the lab needs nothing more.
  const b = await islet(['image', 'build', 'tcpreplay/4.5.1'], env);
  assert.equal(b.code, 0, b.err);
  const ok = await islet(['check', '--config', cfg], env);
  assert.doesNotMatch(ok.out, /lab_network: no traffic generator/);
  assert.match(ok.out, /legacy\.conf: warning: image: opennsm\/faketool:1\.0 is a ContainNSM image the catalogue lacks/);
});
