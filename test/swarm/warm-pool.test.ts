/**
 * The warm pool's claim without rename (src/sessions/warm-pool.case.ts) on the Swarm driver, on a real three-node
 * lab: the driver lacks rename, so the pool's default claim is the store one; ready containers are one-task
 * services started before anyone asks.
 */
import { after, before } from 'node:test';
import { SwarmDriver } from '../../src/runtime/swarm/swarm-driver.ts';
import { warmPoolClaimCases } from '../../src/sessions/warm-pool.case.ts';
import { startLab, type Lab } from './lab.ts';

let lab: Lab | undefined;
const ready = startLab(3).then((l) => (lab = l));
before(async () => {
  await ready;
});
after(async () => {
  await (await ready.catch(() => lab))?.down();
});

warmPoolClaimCases(
  'swarm (the driver lacks rename)',
  () => {
    if (!lab) throw new Error('the swarm lab is not up');
    return new SwarmDriver({ manager: lab.env.DOCKER_HOST, nodes: lab.nodes });
  },
  { image: 'islet/demo:latest', labels: { 'islet.test': 'swarm-warm-pool' }, testTimeoutMs: 90_000 },
);
