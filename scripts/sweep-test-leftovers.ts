/**
 * Before the whole suite runs (scripts/test.sh): removes what earlier test runs left in the engine — containers
 * and networks labelled `islet.test` (every test labels what it makes; a run killed mid-way cannot clean up).
 * Leftover trainee networks had used up the engine's default address pools (31 networks on Docker 20.10), and a
 * later run's lab network then failed to be created.
 *
 * Contract: touches only objects carrying the `islet.test` label, so it never removes an ISLET server's real
 * containers; `npm test` owns every such object, so two suites must not run at once on one engine. Removals run
 * three at a time (Docker 20.10 deadlocks under many parallel forced removals), each call bounded.
 */
import Docker from 'dockerode';

const docker = new Docker();
const bounded = <T>(p: Promise<T>, ms = 30_000): Promise<T> =>
  Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('engine call timed out')), ms).unref())]);

const containers = await bounded(docker.listContainers({ all: true, filters: { label: ['islet.test'] } }));
let next = 0;
let removed = 0;
await Promise.all(
  Array.from({ length: 3 }, async () => {
    while (next < containers.length) {
      const c = containers[next++]!;
      await bounded(docker.getContainer(c.Id).remove({ force: true, v: true }))
        .then(() => removed++)
        .catch((e: Error) => console.error(`sweep: container ${c.Names[0] ?? c.Id}: ${e.message}`));
    }
  }),
);
const networks = await bounded(docker.listNetworks({ filters: { label: ['islet.test'] } }));
let netsRemoved = 0;
for (const n of networks) {
  await bounded(docker.getNetwork(n.Id).remove())
    .then(() => netsRemoved++)
    .catch((e: Error) => console.error(`sweep: network ${n.Name}: ${e.message}`));
}
console.log(`sweep: removed ${removed} of ${containers.length} leftover test containers and ${netsRemoved} of ${networks.length} leftover test networks`);
