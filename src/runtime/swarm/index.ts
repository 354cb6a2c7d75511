export { SwarmDriver, type SwarmDriverOptions } from './swarm-driver.ts';
export { serviceSpec, LABEL_SWARM_NNP } from './service-spec.ts';
