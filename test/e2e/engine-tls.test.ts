/**
 * An engine reached over TCP with mutual TLS (runtime.nodes / runtime.manager `tcp://host:port`, certificates in
 * runtime.tls_dir, the Docker CLI's ca.pem/cert.pem/key.pem layout): the whole RuntimeDriver conformance suite
 * runs through it, and the refusals are real — an engine certificate from another CA, a client without a
 * certificate, plain TCP in the config.
 *
 * The engine's TCP side is a TLS terminator in front of the local engine's socket (what `dockerd --tlsverify -H
 * tcp://…` does inside dockerd): it demands a client certificate signed by the test CA. ISLET's side is the real
 * client path (dockerode over https, hijacked attach and exec streams included).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { runtimeDriverConformance } from '../../src/runtime/runtime-driver.case.ts';
import { DockerDriver } from '../../src/runtime/docker/index.ts';
import { parseEngineAddress } from '../../src/runtime/docker/engine-address.ts';
import { SwarmDriver } from '../../src/runtime/swarm/swarm-driver.ts';
import { sweepTestContainers, testLabels, testRunId } from '../helpers/engine.ts';
import { caAndLeaf } from '../helpers/test-certs.ts';

const runId = testRunId();
const dir = mkdtempSync(join(tmpdir(), 'islet-engine-tls-'));
const file = (f: string): Buffer => readFileSync(join(dir, f));

/** A Docker CLI style certificate directory: ca.pem (whom to trust), cert.pem and key.pem (who we are). */
function certDir(name: string, ca: string, leaf: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  writeFileSync(join(d, 'ca.pem'), file(ca));
  writeFileSync(join(d, 'cert.pem'), file(`${leaf}.pem`));
  writeFileSync(join(d, 'key.pem'), file(`${leaf}-key.pem`));
  return d;
}

caAndLeaf(dir, 'room', 'engine', 'server');
caAndLeaf(dir, 'room2', 'islet', 'client');
caAndLeaf(dir, 'rogue', 'stranger', 'client');
// The engine trusts client certificates from room2's CA only; ISLET trusts the engine's CA (room).
const good = certDir('good', 'room-ca.pem', 'islet');
const wrongCa = certDir('wrong-ca', 'rogue-ca.pem', 'islet');
const rogueClient = certDir('rogue-client', 'room-ca.pem', 'stranger');

const engineSocket = (process.env.DOCKER_HOST ?? '').replace(/^unix:\/\//, '') || '/var/run/docker.sock';
let handshakes = 0;
const front: Server = createServer(
  // allowHalfOpen: an exec's stdin ends with a half-close (TLS close_notify) while its output still flows, as
  // dockerd's own TLS listener allows.
  { key: file('engine-key.pem'), cert: file('engine.pem'), ca: file('room2-ca.pem'), requestCert: true, rejectUnauthorized: true, allowHalfOpen: true },
  (tlsSock) => {
    handshakes++;
    const up = connect(engineSocket);
    tlsSock.pipe(up).pipe(tlsSock);
    const close = (): void => {
      tlsSock.destroy();
      up.destroy();
    };
    up.on('error', close);
    tlsSock.on('error', close);
  },
);
front.on('tlsClientError', () => undefined);
await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
const address = `tcp://127.0.0.1:${(front.address() as { port: number }).port}`;

after(async () => {
  front.close();
  await sweepTestContainers(runId);
  rmSync(dir, { recursive: true, force: true });
});

describe('an engine over TCP with mutual TLS', () => {
  test('plain TCP is refused in the config; unix sockets and tcp+TLS parse; key material never appears in the message', () => {
    assert.throws(() => parseEngineAddress('tcp://10.0.0.2:2375', ''), /needs TLS.*plain TCP is refused/);
    assert.throws(() => parseEngineAddress('http://10.0.0.2:2375', good), /expected unix:\/\/\/path/);
    assert.throws(() => parseEngineAddress('tcp://10.0.0.2:2376', join(dir, 'missing')), /cannot read .*ca\.pem/);
    assert.deepEqual(parseEngineAddress('unix:///run/n1.sock'), { socketPath: '/run/n1.sock' });
    const e = parseEngineAddress(address, good);
    assert.ok(e && 'host' in e && e.host === '127.0.0.1' && e.protocol === 'https' && e.ca.length > 0);
    assert.throws(() => new SwarmDriver({ nodes: { n1: 'tcp://10.0.0.2:2375' } }), /needs TLS/);
  });

  test('control: with the right certificates the engine answers over TLS', async () => {
    const before = handshakes;
    const driver = new DockerDriver({ endpoint: parseEngineAddress(address, good)!, callTimeoutMs: 10_000 });
    assert.equal(await driver.hasImage('islet/demo:latest'), true);
    assert.ok(handshakes > before, 'the call went through the TLS front');
  });

  test('an engine whose certificate another CA signed is refused by ISLET', async () => {
    const driver = new DockerDriver({ endpoint: parseEngineAddress(address, wrongCa)!, callTimeoutMs: 10_000 });
    await assert.rejects(driver.hasImage('islet/demo:latest'), (e: Error) =>
      /certificate|self.signed|unable to verify/i.test(`${e.message} ${JSON.stringify(e)}`),
    );
  });

  test('a client certificate the engine does not trust is refused by the engine', async () => {
    const driver = new DockerDriver({ endpoint: parseEngineAddress(address, rogueClient)!, callTimeoutMs: 10_000 });
    await assert.rejects(driver.hasImage('islet/demo:latest'));
  });

  test('a swarm driver reaches its manager over TLS (this engine answers that it is no swarm manager)', async () => {
    const swarm = new SwarmDriver({ manager: address, nodes: { n1: address }, tlsDir: good, callTimeoutMs: 10_000 });
    await assert.rejects(swarm.find(testLabels(runId)), (e: Error) => /swarm|manager/i.test(`${e.message} ${JSON.stringify(e)}`));
  });
});

// The whole driver contract (TTY attach, exec streams, archives) over the TLS connection.
runtimeDriverConformance(() => new DockerDriver({ endpoint: parseEngineAddress(address, good)!, callTimeoutMs: 15_000 }), {
  image: 'islet/demo:latest',
  labels: testLabels(runId),
});
