/** What a benchmark ran on, recorded with every result so figures are never read without their machine. */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem, release } from 'node:os';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memGiB: number;
  kernel: string;
  node: string;
  docker: string;
}

export function machineInfo(): MachineInfo {
  let docker = 'unknown';
  try {
    docker = execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { timeout: 10_000 }).toString().trim();
  } catch {
    /* reported as unknown */
  }
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    docker,
  };
}
