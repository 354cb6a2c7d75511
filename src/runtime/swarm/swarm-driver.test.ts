/**
 * The Swarm driver in the window where a node has started a task's container but the manager has not heard yet
 * (a node reports task states in batches, seconds late on a loaded machine). A stub Engine API plays the manager
 * (the task is placed, `starting`, without a container id) and the node (which has the container): inspect, stop
 * and remove must reach that container. Found by CI: the conformance cases "stop and remove are idempotent" and
 * "remove works on a running instance" left a live shell running when the manager lagged.
 * The real engine's behaviour is covered by the conformance suite against a swarm lab (test/swarm/).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SwarmDriver } from './swarm-driver.ts';

const SERVICE = 'a'.repeat(25);
const TASK = 't'.repeat(25);
const CONTAINER = 'c'.repeat(64);

/** What the stubs were asked: `METHOD path` without the API version prefix. */
const calls: string[] = [];
/** The manager's task: placed on node n1, its container id not reported yet unless `reported`. */
let reported = false;
let containerRunning = true;

function json(res: import('node:http').ServerResponse, status: number, body?: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

function stub(role: 'manager' | 'node'): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    const path = url.pathname.replace(/^\/v\d+\.\d+/, '');
    calls.push(`${role} ${req.method} ${path}`);
    if (role === 'manager') {
      if (path === `/services/${SERVICE}`) {
        if (req.method === 'DELETE') return json(res, 200);
        return json(res, 200, {
          ID: SERVICE,
          CreatedAt: '2026-11-30T00:00:00Z',
          Version: { Index: 1 },
          Spec: { Name: 'svc', Labels: {}, TaskTemplate: { ContainerSpec: { Image: 'islet/demo:latest' } }, Mode: { Replicated: { Replicas: 1 } } },
        });
      }
      if (path === '/tasks') {
        const status = reported ? { State: 'running', ContainerStatus: { ContainerID: CONTAINER } } : { State: 'starting' };
        return json(res, 200, [{ ID: TASK, ServiceID: SERVICE, NodeID: 'n1', CreatedAt: '2026-11-30T00:00:01Z', DesiredState: 'running', Status: status }]);
      }
      if (path === '/nodes/n1') return json(res, 200, { Description: { Hostname: 'node1' } });
      return json(res, 404, { message: 'not in the stub' });
    }
    if (path === '/containers/json') {
      const filters = JSON.parse(url.searchParams.get('filters') ?? '{}') as { label?: string[] };
      const mine = filters.label?.includes(`com.docker.swarm.task.id=${TASK}`);
      return json(res, 200, mine ? [{ Id: CONTAINER }] : []);
    }
    if (path === `/containers/${CONTAINER}/json`)
      return json(res, 200, {
        Id: CONTAINER,
        Name: '/svc.1.x',
        Created: '2026-11-30T00:00:01Z',
        Config: { Image: 'islet/demo:latest', Labels: {} },
        State: { Status: containerRunning ? 'running' : 'exited', ExitCode: 0, StartedAt: '2026-11-30T00:00:02Z' },
      });
    if (path === `/containers/${CONTAINER}/stop`) {
      containerRunning = false;
      return json(res, 204);
    }
    if (path === `/containers/${CONTAINER}` && req.method === 'DELETE') return json(res, 204);
    return json(res, 404, { message: 'not in the stub' });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'islet-swarm-stub-'));
const servers = [stub('manager'), stub('node')];
let driver: SwarmDriver;

before(async () => {
  await Promise.all(servers.map((s, i) => new Promise<void>((r) => s.listen(join(dir, `${i}.sock`), r))));
  driver = new SwarmDriver({ manager: join(dir, '0.sock'), nodes: { node1: join(dir, '1.sock') }, callTimeoutMs: 5000 });
});

after(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

test('the stub answers as a manager that already reports the container (control: the probe sees the container)', async () => {
  reported = true;
  containerRunning = true;
  calls.length = 0;
  assert.equal((await driver.inspect(SERVICE))?.state, 'running');
  assert.ok(calls.includes(`node GET /containers/${CONTAINER}/json`), calls.join('\n'));
});

test('a task the manager has not heard of yet: inspect, stop and remove reach its container on the node', async () => {
  reported = false;
  containerRunning = true;
  calls.length = 0;
  const fresh = new SwarmDriver({ manager: join(dir, '0.sock'), nodes: { node1: join(dir, '1.sock') }, callTimeoutMs: 5000 });
  assert.equal((await fresh.inspect(SERVICE))?.state, 'running', 'the node has it running');
  await fresh.stop(SERVICE, 1);
  assert.ok(calls.includes(`node POST /containers/${CONTAINER}/stop`), `stop reached the container:\n${calls.join('\n')}`);
  await fresh.remove(SERVICE);
  assert.ok(calls.includes(`node DELETE /containers/${CONTAINER}`), `remove reached the container:\n${calls.join('\n')}`);
  assert.ok(calls.includes(`manager DELETE /services/${SERVICE}`));
});
