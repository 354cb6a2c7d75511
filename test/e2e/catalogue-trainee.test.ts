/**
 * A trainee over SSH in an environment named by `program:` (real `islet
 * serve`): the menu shows the catalogue version, a dataset is mounted
 * read-only, and tcpdump captures live traffic a traffic generator replays
 * onto the environment's lab network — an internal network with no way out,
 * never the host's interfaces.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsletProcess } from '../helpers/islet-process.ts';
import { islet } from '../helpers/islet-cli.ts';
import { sweepTestContainers, sweepTestNetworks, testRunId } from '../helpers/engine.ts';
import { gateSsh, newAccountSsh } from '../helpers/ssh-journey.ts';
import { bridgeName, labNetworkName, removeLab } from '../../src/catalogue/lab-network.ts';
import { writePcap } from '../helpers/pcap.ts';
import type { SshTrainee } from '../helpers/ssh-trainee.ts';

const runId = testRunId();
const server = new IsletProcess(runId);
const pcaps = mkdtempSync(join(tmpdir(), 'islet-lab-pcap-'));
const packets = [1, 2, 3].map((i) => ({ src: '10.9.0.1', dst: '10.9.0.2', sport: 41000 + i, dport: 9999, payload: `lab${i}` }));
let t: SshTrainee | undefined;

/** A command's output between markers; bash's bracketed-paste codes may stand before them (the demo's busybox has none). */
async function shSsh(tr: SshTrainee, cmd: string, timeoutMs = 20_000): Promise<string> {
  const tag = Math.random().toString(36).slice(2, 8);
  tr.send(`echo B${tag}B; ${cmd}; echo E${tag}E\r`);
  const m = await tr.waitFor(new RegExp(`[\\r\\n]B${tag}B\\r?\\n([\\s\\S]*?)E${tag}E`), timeoutMs);
  return m[1]!.replace(/\r/g, '').trimEnd();
}

describe('a trainee in a catalogue environment with a dataset and a lab network', { concurrency: false, timeout: 25 * 60_000 }, () => {
  before(async () => {
    // On demand, cached by recipe label: nothing to do when the engine has them.
    const b = await islet(['image', 'build', 'tcpdump/4.99.5', 'tcpreplay/4.5.1', '--jobs', '2'], { ISLET_DATA: server.dataDir });
    assert.equal(b.code, 0, `${b.out}\n${b.err}`);
    writePcap(join(pcaps, 'lab.pcap'), packets);
    mkdirSync(server.dataDir, { recursive: true, mode: 0o700 });
    const add = await islet(['dataset', 'add', 'lab', pcaps], { ISLET_DATA: server.dataDir });
    assert.equal(add.code, 0, add.err);
    writeFileSync(
      join(server.configDir, 'environments/sniff.yaml'),
      'program: tcpdump\ndescription: Packet lab\ndatasets: [lab]\nlab_network:\n  replay: lab/lab.pcap\n  pps: 50\n',
    );
    await server.start({ ISLET_DATA: server.dataDir });
  });
  after(async () => {
    t?.end();
    await server.dispose();
    await removeLab(server.instance, 'sniff');
    await sweepTestContainers(runId);
    await sweepTestNetworks(runId);
    rmSync(pcaps, { recursive: true, force: true });
  });

  test('the menu shows the program version; the shell runs as the unprivileged user', async () => {
    ({ t } = await gateSsh(server.port));
    await newAccountSsh(t, 'sniffer');
    const m = await t.waitFor(/(\d+)\) sniff\s+\|\s*([^\r\n]*)[\s\S]*?\[Choice\]: $/);
    assert.match(m[2]!, /Packet lab \(tcpdump 4\.99\.5\)/);
    t.send(`${m[1]}\r`);
    assert.equal(await shSsh(t, 'id -un', 60_000), 'islet');
  });

  test('the dataset is mounted read-only and tcpdump reads it', async () => {
    assert.ok(t);
    const read = await shSsh(t, 'tcpdump -nn -r /datasets/lab/lab.pcap 2>/dev/null');
    assert.deepEqual(
      read.split('\n').map((l) => l.replace(/^\S+ /, '')),
      packets.map((p) => `IP 10.9.0.1.${p.sport} > 10.9.0.2.9999: UDP, length 4`),
    );
    // Control first: the trainee can write in its home; then the dataset refuses the same write.
    assert.equal(await shSsh(t, 'touch ~/probe && echo home-ok'), 'home-ok');
    assert.match(await shSsh(t, 'touch /datasets/lab/probe 2>&1; true'), /Read-only file system/);
  });

  test('live capture on the lab network sees the replayed traffic; the lab has no way out', async () => {
    assert.ok(t);
    const live = await shSsh(t, 'timeout 60 tcpdump -nn -i eth0 -c 3 udp port 9999 2>&1', 90_000);
    assert.match(live, /listening on eth0/);
    assert.match(live, /IP 10\.9\.0\.1\.4100\d > 10\.9\.0\.2\.9999: UDP, length 4/);
    assert.match(live, /3 packets captured/);
    assert.equal(await shSsh(t, 'ls /sys/class/net | tr "\\n" " "'), 'eth0 lo');
    // Control: the same probe from the same image on the engine's default bridge does reach the Debian mirror.
    const probe = 'timeout 8 bash -c "echo > /dev/tcp/deb.debian.org/80" && echo OUT || echo NO-OUT';
    assert.equal(
      execFileSync('docker', ['run', '--rm', '--label', `islet.test=${runId}`, 'islet/tcpdump:4.99.5', 'bash', '-c', probe], {
        encoding: 'utf8',
        timeout: 60_000,
      }).trim(),
      'OUT',
    );
    assert.equal(await shSsh(t, probe, 30_000), 'NO-OUT');
  });

  test('islet reap keeps the lab while a container uses it; once the account is gone it removes generator, network and rule', async () => {
    assert.ok(t);
    const network = labNetworkName(server.instance, 'sniff');
    const reap = (...more: string[]) => islet(['reap', '--config', server.configDir, '--data', server.dataDir, ...more], { ISLET_INSTANCE: server.instance });
    const exists = (args: string[]) => spawnSync('docker', args, { timeout: 30_000 }).status === 0;
    const ruleExists = () => spawnSync('iptables', ['-C', 'DOCKER-USER', '-i', bridgeName(network), '-o', bridgeName(network), '-j', 'ACCEPT']).status === 0;
    // Control: while the trainee's container is on the network, reap leaves the lab (and the probes see it).
    const kept = await reap('--dry-run');
    assert.equal(kept.code, 0, kept.err);
    assert.doesNotMatch(kept.out, /lab network/);
    assert.ok(exists(['network', 'inspect', network]) && exists(['inspect', `${network}-replay`]) && ruleExists(), 'the lab is there');
    t.end();
    t = undefined;
    const removed = await islet(['remove', 'sniffer', '--config', server.configDir, '--data', server.dataDir], { ISLET_INSTANCE: server.instance });
    assert.equal(removed.code, 0, removed.err);
    const dry = await reap('--dry-run');
    assert.match(dry.out, new RegExp(`^would remove lab network ${network.replace(/\./g, '\\.')} and its traffic generator`, 'm'));
    assert.ok(exists(['network', 'inspect', network]), 'a dry run leaves it');
    const real = await reap();
    assert.equal(real.code, 0, real.err);
    assert.match(real.out, new RegExp(`^remove lab network ${network.replace(/\./g, '\\.')} and its traffic generator`, 'm'));
    assert.equal(exists(['network', 'inspect', network]), false, 'the network is gone');
    assert.equal(exists(['inspect', `${network}-replay`]), false, 'the generator is gone');
    assert.equal(ruleExists(), false, 'the DOCKER-USER rule is gone');
    const again = await reap('--dry-run');
    assert.doesNotMatch(again.out, /lab network/, 'idempotent');
  });
});
