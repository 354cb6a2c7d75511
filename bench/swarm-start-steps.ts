/**
 * Where a new container's time goes on a swarm (issue 14, performance): for each sample, one one-task service is
 * created with 0 replicas and scaled to 1, as the Swarm driver does, while the manager's task list is polled every
 * 5 ms and every node's engine events stream is read. Printed per sample, in ms after the scale-up returned:
 * when the manager first reported each task state, and when a node's engine reported the container's create and
 * start. The gap between the node's `start` event and the manager's `running` is what a start that waits for the
 * manager loses to Swarm's status batching.
 *
 * Usage (against a lab: scripts/swarm-lab.sh up 3; source its env):
 *   node bench/swarm-start-steps.ts [--samples 10]
 */
import { request } from 'node:http';
import { numArg } from './lib/targets.ts';

const N = numArg(process.argv.slice(2), 'samples', 10);
const manager = process.env.DOCKER_HOST!.replace('unix://', '');
const nodes = Object.entries(process.env)
  .filter(([k]) => /^ISLET_LAB_NODE\d+$/.test(k))
  .map(([, v]) => v!.replace('unix://', ''));

function call<T>(sock: string, method: string, path: string, body?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, method, path, headers: { 'content-type': 'application/json' } }, (res) => {
      let s = '';
      res.on('data', (b: Buffer) => (s += b.toString()));
      res.on('end', () => ((res.statusCode ?? 500) >= 300 ? reject(new Error(`${res.statusCode} ${s}`)) : resolve((s ? JSON.parse(s) : undefined) as T)));
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

const seen: { svc: string; t: number; what: string }[] = [];
for (const sock of nodes) {
  const filters = encodeURIComponent(JSON.stringify({ type: ['container'], event: ['create', 'start'] }));
  request({ socketPath: sock, path: `/events?filters=${filters}` }, (res) => {
    let buf = '';
    res.on('data', (b: Buffer) => {
      buf += b.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const e = JSON.parse(buf.slice(0, i)) as { Action: string; Actor: { Attributes: Record<string, string> } };
        buf = buf.slice(i + 1);
        const svc = e.Actor.Attributes['com.docker.swarm.service.id'];
        if (svc) seen.push({ svc, t: performance.now(), what: `node ${e.Action}` });
      }
    });
  }).end();
}
await new Promise((r) => setTimeout(r, 300));

const rows: Record<string, number>[] = [];
for (let i = 0; i < N; i++) {
  const spec = {
    Name: `steps-${process.pid}-${i}`,
    Labels: { 'islet.test': 'swarm-start-steps' },
    TaskTemplate: {
      ContainerSpec: { Image: 'islet/demo:latest', TTY: true, OpenStdin: true },
      RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
      Networks: [],
    },
    Mode: { Replicated: { Replicas: 0 } },
  };
  const c0 = performance.now();
  const { ID } = await call<{ ID: string }>(manager, 'POST', '/services/create', spec);
  const created = performance.now() - c0;
  const svc = await call<{ Version: { Index: number }; Spec: typeof spec }>(manager, 'GET', `/services/${ID}`);
  svc.Spec.Mode = { Replicated: { Replicas: 1 } };
  const u0 = performance.now();
  await call(manager, 'POST', `/services/${ID}/update?version=${svc.Version.Index}`, svc.Spec);
  const t0 = performance.now();
  const row: Record<string, number> = { create: created, update: t0 - u0 };
  for (;;) {
    const tasks = await call<{ Status: { State: string } }[]>(manager, 'GET', `/tasks?filters=${encodeURIComponent(JSON.stringify({ service: [ID] }))}`);
    const st = tasks[0]?.Status.State;
    if (st && row[`mgr ${st}`] === undefined) row[`mgr ${st}`] = performance.now() - t0;
    if (st === 'running' || performance.now() - t0 > 20_000) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  for (const e of seen.filter((x) => x.svc === ID)) row[e.what] ??= e.t - t0;
  rows.push(row);
  console.log(JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Math.round(v)]))));
  await call(manager, 'DELETE', `/services/${ID}`);
}
const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
console.log(
  'medians (ms):',
  JSON.stringify(Object.fromEntries(keys.map((k) => [k, Math.round(med(rows.flatMap((r) => (r[k] === undefined ? [] : [r[k]!]))))]))),
);
process.exit(0);
