/**
 * The engine floor's create body must be ISLET's own (issue 15.4): ISLET's server starts a network-off
 * container without the engine's network sandbox and with its own /etc/hosts bind
 * (src/runtime/docker/hosts-files.ts), so the floor does too, with hosts files in a directory of its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostsFiles, type LocalEngineOptions } from '../../src/runtime/docker/index.ts';

export function floorHosts(): { local: LocalEngineOptions; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'islet-bench-hosts-'));
  const hosts = new HostsFiles(dir);
  return { local: { hostsFileFor: (h) => hosts.fileFor(h) }, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
