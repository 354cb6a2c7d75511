/**
 * The warm pool's claim without rename (warm-pool.case.ts) on the fake driver declaring it lacks rename, and on
 * the real engine with `claimBy: 'store'`; the Swarm run is test/swarm/warm-pool.test.ts.
 */
import { FakeDriver, FakeEngine } from '../runtime/fake/index.ts';
import { DockerDriver } from '../runtime/docker/index.ts';
import { testLabels, testRunId } from '../../test/helpers/engine.ts';
import { warmPoolClaimCases } from './warm-pool.case.ts';

warmPoolClaimCases('fake driver without rename', () => new FakeDriver(new FakeEngine(), { unsupported: ['rename'] }), {
  image: 'islet/demo:latest',
  labels: { 'islet.test': 'warm-pool-fake' },
});

warmPoolClaimCases('docker, claimed in the store', () => new DockerDriver({ maxConcurrentRemovals: 3 }), {
  image: 'islet/demo:latest',
  labels: testLabels(testRunId()),
  claimBy: 'store',
});
