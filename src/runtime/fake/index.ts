/**
 * The fake runtime: `FakeDriver` implements RuntimeDriver in memory (a tiny
 * shell, a filesystem, TTYs) for unit tests without an engine; `FakeEngine`
 * is its shared state and the script that makes it slow or failing.
 * See src/runtime/README.md ("The fake driver").
 */
export { FakeDriver, type FakeDriverOptions } from './fake-driver.ts';
export { FakeEngine, type FakeBehaviour, type FakeOperation } from './fake-engine.ts';
export { DEMO_IMAGE, type FakeImage } from './fake-image.ts';
