/**
 * The Docker runtime: `DockerDriver` implements RuntimeDriver against a Docker
 * Engine (20.10+) over its Unix socket. See src/runtime/README.md.
 */
export { DockerDriver, type DockerDriverOptions } from './docker-driver.ts';
export { createOptions, containerHostname, READONLY_TMP_TMPFS, type DockerCreateOptions, type LocalEngineOptions } from './create-options.ts';
export { HostsFiles } from './hosts-files.ts';
export { MSG_BUSY, MSG_FAILED, MSG_IMAGE } from './engine-client.ts';
