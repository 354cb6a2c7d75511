/**
 * The catalogue's builds talk to the engine through the `docker` client
 * (import, commit, build stream progress the way an admin knows them); every
 * call has a time limit. Containers that trainees use are created through the
 * runtime driver's create options instead (run-options.ts).
 */
import { spawn } from 'node:child_process';
import { IsletError } from '../core/islet-error.ts';

export interface DockerResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface DockerCall {
  readonly timeoutMs: number;
  /** Lines of stderr and stdout are passed here as they come (progress). */
  readonly onLine?: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs a program (docker, debootstrap, tar …) without a shell; never throws for a non-zero exit. */
export function runProgram(cmd: string, args: readonly string[], call: DockerCall): Promise<DockerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: call.env ?? process.env });
    let stdout = '';
    let stderr = '';
    const lines = (chunk: Buffer, into: 'out' | 'err'): void => {
      const s = chunk.toString('utf8');
      if (into === 'out') stdout += s;
      else stderr += s;
      if (stdout.length > 4_000_000) stdout = stdout.slice(-2_000_000);
      if (stderr.length > 4_000_000) stderr = stderr.slice(-2_000_000);
      if (call.onLine) for (const l of s.split('\n')) if (l.trim() !== '') call.onLine(l);
    };
    child.stdout.on('data', (c: Buffer) => lines(c, 'out'));
    child.stderr.on('data', (c: Buffer) => lines(c, 'err'));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, call.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new IsletError('CATALOGUE_BUILD_FAILED', `${cmd} could not be started.`, `${cmd}: ${err.message}`, { cmd }, err));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? (signal === 'SIGKILL' ? 137 : 1),
        stdout,
        stderr: signal === 'SIGKILL' ? `${stderr}\n${cmd} killed after ${call.timeoutMs} ms` : stderr,
      });
    });
    child.stdin.end();
  });
}

export function docker(args: readonly string[], call: DockerCall): Promise<DockerResult> {
  return runProgram('docker', args, call);
}

/** Like docker(), but a non-zero exit is a CATALOGUE_BUILD_FAILED error carrying the output's tail. */
export async function dockerOk(args: readonly string[], call: DockerCall, what: string): Promise<string> {
  const r = await docker(args, call);
  if (r.code !== 0)
    throw new IsletError('CATALOGUE_BUILD_FAILED', `${what} failed.`, `${what}: docker ${args[0]} exited ${r.code}: ${tail(r.stderr || r.stdout)}`, {
      args: [...args],
    });
  return r.stdout;
}

export function tail(s: string, n = 1500): string {
  const t = s.trim();
  return t.length > n ? `…${t.slice(-n)}` : t;
}

export interface ImageInfo {
  readonly id: string;
  readonly size: number;
  readonly labels: Record<string, string>;
  readonly created: string;
}

/** Inspects images by name; a missing one is simply absent from the result. */
export async function inspectImages(names: readonly string[]): Promise<Map<string, ImageInfo>> {
  const out = new Map<string, ImageInfo>();
  if (names.length === 0) return out;
  const r = await docker(['image', 'inspect', '--format', '{{json .}}', ...names], { timeoutMs: 60_000 });
  for (const line of r.stdout.split('\n')) {
    if (line.trim() === '') continue;
    const j = JSON.parse(line) as { Id: string; Size: number; RepoTags?: string[]; Created: string; Config?: { Labels?: Record<string, string> | null } };
    const info = { id: j.Id, size: j.Size, labels: j.Config?.Labels ?? {}, created: j.Created };
    for (const t of j.RepoTags ?? []) if (names.includes(t)) out.set(t, info);
  }
  return out;
}
