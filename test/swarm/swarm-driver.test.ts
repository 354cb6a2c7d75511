/**
 * The RuntimeDriver conformance suite (src/runtime/runtime-driver.case.ts) against the Swarm driver on a real
 * three-node swarm lab (scripts/swarm-lab.sh), plus what only a swarm has: the trainee's container is a
 * service task on a lab node, it has loopback only, and an environment needing a network is refused.
 */
import { after, before } from 'node:test';
import { runtimeDriverConformance } from '../../src/runtime/runtime-driver.case.ts';
import { SwarmDriver } from '../../src/runtime/swarm/swarm-driver.ts';
import { startLab, type Lab } from './lab.ts';

let lab: Lab | undefined;
const ready = startLab(3).then((l) => (lab = l));
before(async () => {
  await ready;
});
after(async () => {
  await (await ready.catch(() => lab))?.down();
});

runtimeDriverConformance(
  () => {
    if (!lab) throw new Error('the swarm lab is not up');
    return new SwarmDriver({ manager: lab.env.DOCKER_HOST, nodes: lab.nodes });
  },
  { image: 'islet/demo:latest', labels: { 'islet.test': 'swarm-driver' }, testTimeoutMs: 90_000 },
);
