/**
 * The data path's CPU cost, per MB of output and per keystroke, for ISLET and
 * the peer, with per-process accounting read from /proc/<pid>/stat before and
 * after each step:
 * - ISLET: its node process; the peer: sshd (listener, per-connection and
 *   session processes), the bash menu and the docker CLI under it;
 * - both: dockerd, containerd, the container's containerd-shim, the container's
 *   own processes (its cgroup) and, for reference, the OpenSSH client.
 * dockerd and containerd serve every container on the machine: each step is
 * followed by an idle window of the same length, whose dockerd/containerd CPU
 * is recorded as the background to read those figures against.
 *
 * Steps, each with the OpenSSH client and a chosen cipher:
 * - tty: `head -c N /dev/zero` in the trainee's shell (PTY), through the menu (both systems);
 * - exec: `ssh acct+demo@host 'head -c N /dev/zero'` (ISLET only: the peer's ForceCommand
 *   has no exec); its login cost is removed by subtracting an exec of `true`;
 * - keys: K keystrokes typed one at a time, each waiting for its echo (both systems).
 * ISLET runs with ssh2's native crypto binding and, as the comparison, with
 * native addons blocked (the JavaScript fallback it silently ran on before issue 16).
 * Optionally (--profile) a `node --cpu-prof` of ISLET during one exec stream:
 * the top functions by self time.
 *
 * Writes bench/results/<date>-data-path-cpu.json.
 * Usage: node bench/data-path-cpu.ts [--targets islet,peer] [--mb 100] [--keys 1000] [--runs 2]
 *   [--ciphers chacha20-poly1305@openssh.com,aes128-gcm@openssh.com] [--islet-crypto native,javascript] [--profile]
 *   [--islet-node-options --opt1,--opt2] (extra NODE_OPTIONS for ISLET, comma-separated)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsletProcess, repoRoot } from '../test/helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../test/helpers/engine.ts';
import { machineInfo } from './lib/machine.ts';
import { commitLabel, treeState } from './lib/run-meta.ts';
import { writeResult } from './lib/results.ts';
import { numArg, PEER_PORT, SHELL_PROMPT, targetsFromArgs } from './lib/targets.ts';
import { OpenSshClient, nowUs } from './lib/openssh-client.ts';
import { CpuMeter, allProcs, containerCpuSeconds, descendants, pidsOf } from './lib/proc-cpu.ts';
import { summarizeCpuProfile, type ProfileSummary } from './lib/cpu-profile.ts';
import { summarizeSteps, type Step } from './lib/data-path-report.ts';

const argv = process.argv.slice(2);
const MB = numArg(argv, 'mb', 100);
const KEYS = numArg(argv, 'keys', 1000);
const RUNS = numArg(argv, 'runs', 2);
const listArg = (name: string, fallback: string): string[] => {
  const i = argv.indexOf(`--${name}`);
  return (i >= 0 ? (argv[i + 1] ?? '') : fallback).split(',').filter(Boolean);
};
const CIPHERS = listArg('ciphers', 'chacha20-poly1305@openssh.com,aes128-gcm@openssh.com');
const ISLET_CRYPTO = listArg('islet-crypto', 'native,javascript') as ('native' | 'javascript')[];
const PROFILE = argv.includes('--profile');
/** Extra NODE_OPTIONS for ISLET (experiments, e.g. --max-semi-space-size=64), recorded with the result. */
const ISLET_NODE_OPTIONS = listArg('islet-node-options', '').join(' ');
const BYTES = Math.round(MB * 1_000_000);
const BLOCKER = `--require ${join(repoRoot, 'test/helpers/block-native-addons.cjs')}`;

/** One system under test, as this benchmark needs it. */
interface System {
  readonly target: 'islet' | 'peer';
  /** ssh2's crypto for ISLET (from its ssh_crypto log line); OpenSSH's own for the peer. */
  readonly crypto: 'native' | 'javascript' | 'openssh';
  readonly port: number;
  readonly gate: { user: string; password: string };
  /** The processes of the server side, by group (re-read at each reading). */
  groups(containerId: string, client: number): Record<string, number[]>;
  containerId(account: string): string;
  close(): Promise<void>;
}

const engineGroups = (containerId: string): Record<string, number[]> => ({
  dockerd: pidsOf('dockerd'),
  containerd: pidsOf('containerd'),
  shim: pidsOf('containerd-shim', containerId),
});
const SERVER_GROUPS = ['islet', 'sshd', 'bash', 'docker-cli', 'peer-other', 'dockerd', 'containerd', 'shim'];
const inspectId = (name: string): string => execFileSync('docker', ['inspect', '-f', '{{.Id}}', name], { timeout: 15_000 }).toString().trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const r3 = (x: number) => Math.round(x * 1000) / 1000;

async function startIsletSystem(crypto: 'native' | 'javascript', extraNodeOptions = ''): Promise<System & { islet: IsletProcess }> {
  const runId = testRunId();
  const islet = new IsletProcess(runId, { logLevel: 'info' });
  const nodeOptions = [crypto === 'javascript' ? BLOCKER : '', extraNodeOptions].filter(Boolean).join(' ');
  await islet.start(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {});
  const line = await islet.waitForLog((l) => l.event === 'ssh_crypto');
  if (line.binding !== crypto) throw new Error(`ISLET runs ${String(line.binding)} crypto, wanted ${crypto}: ${JSON.stringify(line)}`);
  const pid = islet.pid!;
  return {
    target: 'islet',
    crypto,
    port: islet.port,
    gate: { user: 'demo', password: 'demo' },
    islet,
    groups: (id, client) => ({ islet: descendants(pid).map((p) => p.pid), ...engineGroups(id), client: [client] }),
    containerId: (account) => inspectId(`${islet.instance}.demo.${account}`),
    close: async () => {
      await islet.dispose();
      await sweepTestContainers(runId);
    },
  };
}

async function startPeerSystem(): Promise<System> {
  execFileSync('bash', [join(repoRoot, 'bench/peer/setup-peer.sh'), String(PEER_PORT)], { stdio: 'inherit', timeout: 600_000 });
  const sshd = Number(readFileSync('/run/islet-peer-sshd.pid', 'utf8').trim());
  return {
    target: 'peer',
    crypto: 'openssh',
    port: PEER_PORT,
    gate: { user: 'isletpeer', password: 'demo' },
    groups: (id, client) => {
      const tree = descendants(sshd, allProcs());
      const by = (f: (comm: string) => boolean) => tree.filter((p) => f(p.comm)).map((p) => p.pid);
      return {
        sshd: by((c) => c === 'sshd'),
        bash: by((c) => c === 'bash'),
        'docker-cli': by((c) => c === 'docker'),
        'peer-other': by((c) => !['sshd', 'bash', 'docker'].includes(c)),
        ...engineGroups(id),
        client: [client],
      };
    },
    containerId: (account) => inspectId(`demo.${account}`),
    close: async () => {
      execFileSync('bash', [join(repoRoot, 'bench/peer/stop-peer.sh')], { stdio: 'inherit', timeout: 600_000 });
    },
  };
}

/** Measures `body` on the meter, then an idle window of the same length for the engine's background. */
async function measure(
  sys: System,
  cid: string,
  client: OpenSshClient,
  body: () => Promise<void>,
): Promise<Pick<Step, 'seconds' | 'cpu' | 'idle' | 'processes'>> {
  const meter = new CpuMeter(() => sys.groups(cid, client.child.pid!));
  const c0 = containerCpuSeconds(cid);
  meter.start();
  const t0 = performance.now();
  await body();
  const seconds = (performance.now() - t0) / 1000;
  const d = meter.delta();
  const cpu: Record<string, number> = { ...d.groups, container: containerCpuSeconds(cid) - c0 };
  cpu.server = SERVER_GROUPS.reduce((s, g) => s + (cpu[g] ?? 0), 0);
  const idleMeter = new CpuMeter(() => ({ dockerd: pidsOf('dockerd'), containerd: pidsOf('containerd') }));
  idleMeter.start();
  await sleep(seconds * 1000);
  const idle = idleMeter.delta().groups;
  for (const k of Object.keys(cpu)) cpu[k] = r3(cpu[k]!);
  return { seconds: r3(seconds), cpu, idle, processes: d.processes.filter((p) => p.s > 0) };
}

/** Through the gate's menu to the shell prompt: a new account the first time, then the existing one. */
async function openShell(sys: System, account: string, existing: boolean, cipher: string): Promise<OpenSshClient> {
  const c = new OpenSshClient({ port: sys.port, user: sys.gate.user, password: sys.gate.password, cipher });
  try {
    await c.waitFor(/\[new\/existing\]: $/);
    if (existing) {
      c.send('existing\r');
      await c.waitFor(/Username: $/);
      c.send(`${account}\r`);
      await c.waitFor(/Password: $/);
      c.send('benchpass1\r');
    } else {
      c.send('new\r');
      await c.waitFor(/Choose a username.*: $/);
      c.send(`${account}\r`);
      await c.waitFor(/Choose a password.*: $/);
      c.send('benchpass1\r');
      await c.waitFor(/Verify your password: $/);
      c.send('benchpass1\r');
    }
    await c.waitFor(/\[Choice\]: $/);
    c.send('1\r');
    // A re-attached live shell prints nothing until a key is typed (both systems): ask for a prompt.
    try {
      await c.waitFor(SHELL_PROMPT, 10_000);
    } catch {
      c.send('\r');
      await c.waitFor(SHELL_PROMPT, 60_000);
    }
    return c;
  } catch (err) {
    await c.close();
    throw err;
  }
}

async function ttyStream(sys: System, cid: string, c: OpenSshClient): Promise<Pick<Step, 'seconds' | 'cpu' | 'idle' | 'processes' | 'mb'>> {
  const before = c.bytes;
  const m = await measure(sys, cid, c, async () => {
    c.send(`head -c ${BYTES} /dev/zero; echo @@EN''D@@\r`);
    await c.waitFor(/@@END@@/, 600_000);
  });
  await c.waitFor(SHELL_PROMPT);
  return { ...m, mb: r3((c.bytes - before) / 1e6) };
}

async function keystrokes(sys: System, cid: string, c: OpenSshClient): Promise<Pick<Step, 'seconds' | 'cpu' | 'idle' | 'processes' | 'keys'>> {
  const m = await measure(sys, cid, c, async () => {
    // Lines of a shell comment, 60 keys each, then Enter (which waits for the next prompt).
    for (let i = 0; i < KEYS; i++) {
      const col = i % 61;
      if (col === 60 || i === KEYS - 1) {
        c.send('\r');
        await c.waitFor(SHELL_PROMPT);
      } else await c.echo(col === 0 ? '#' : 'x');
    }
  });
  return { ...m, keys: KEYS };
}

async function execStream(
  sys: System,
  cid: string,
  account: string,
  cipher: string,
  command: string,
): Promise<Pick<Step, 'seconds' | 'cpu' | 'idle' | 'processes' | 'mb'>> {
  const c = new OpenSshClient({ port: sys.port, user: `${account}+demo`, password: 'benchpass1', cipher, command });
  const m = await measure(sys, cid, c, async () => {
    const code = await c.exited;
    if (code !== 0) throw new Error(`ssh exec ${command} exited ${code}: ${c.stderr}`);
  });
  return { ...m, mb: r3(c.bytes / 1e6) };
}

async function runSystem(sys: System, steps: Step[]): Promise<void> {
  const account = `cpu${Date.now().toString(36)}`;
  let existing = false;
  for (const cipher of CIPHERS) {
    for (let run = 1; run <= RUNS; run++) {
      const c = await openShell(sys, account, existing, cipher);
      existing = true;
      const cid = sys.containerId(account);
      const base = { target: sys.target, crypto: sys.crypto, cipher, run };
      try {
        const s = await ttyStream(sys, cid, c);
        steps.push({ ...base, step: 'tty', ...s });
        console.log(`${sys.target}/${sys.crypto} ${cipher} tty: ${s.mb} MB in ${s.seconds} s; server ${s.cpu.server} s CPU (${JSON.stringify(s.cpu)})`);
        const k = await keystrokes(sys, cid, c);
        steps.push({ ...base, step: 'keys', ...k });
        console.log(`${sys.target}/${sys.crypto} ${cipher} keys: ${k.keys} in ${k.seconds} s; server ${k.cpu.server} s CPU (${JSON.stringify(k.cpu)})`);
        c.send('exit\r');
        await c.waitFor(/\[Choice\]: $/);
      } finally {
        await c.close();
      }
      if (sys.target === 'islet') {
        await execStream(sys, cid, account, cipher, 'true'); // the container is running and the account's hash sealed
        const login = await execStream(sys, cid, account, cipher, 'true');
        const s = await execStream(sys, cid, account, cipher, `head -c ${BYTES} /dev/zero`);
        const cpu: Record<string, number> = {};
        // The client has exited by the reading (its CPU is lost): not reported for exec.
        for (const [g, v] of Object.entries(s.cpu)) if (g !== 'client') cpu[g] = r3(v - (login.cpu[g] ?? 0));
        steps.push({ ...base, step: 'exec', ...s, cpu, loginCpu: login.cpu });
        console.log(
          `${sys.target}/${sys.crypto} ${cipher} exec: ${s.mb} MB in ${s.seconds} s; server ${cpu.server} s CPU net of login (${JSON.stringify(cpu)})`,
        );
      }
    }
  }
}

/**
 * A --cpu-prof of ISLET (native crypto, the first cipher): self time during a tty stream (send to end marker)
 * and during an exec stream (first byte to the client's exit), each alone (samples filtered by time).
 */
async function profileIslet(): Promise<{ cipher: string; mb: number; tty: ProfileSummary; exec: ProfileSummary }> {
  const dir = mkdtempSync(join(tmpdir(), 'islet-cpuprof-'));
  const sys = await startIsletSystem('native', `--cpu-prof --cpu-prof-dir=${dir} ${ISLET_NODE_OPTIONS}`);
  try {
    const account = `prof${Date.now().toString(36)}`;
    const cipher = CIPHERS[0]!;
    const c = await openShell(sys, account, false, cipher);
    const ttyFrom = nowUs();
    c.send(`head -c ${BYTES} /dev/zero; echo @@EN''D@@\r`);
    await c.waitFor(/@@END@@/, 600_000);
    const ttyTo = nowUs();
    await c.waitFor(SHELL_PROMPT);
    c.send('exit\r');
    await c.waitFor(/\[Choice\]: $/);
    await c.close();
    const cid = sys.containerId(account);
    await execStream(sys, cid, account, cipher, 'true');
    const e = new OpenSshClient({ port: sys.port, user: `${account}+demo`, password: 'benchpass1', cipher, command: `head -c ${BYTES} /dev/zero` });
    await e.exited;
    const execTo = nowUs();
    await sys.islet.stop('SIGTERM'); // the profile is written at a clean exit
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no .cpuprofile in ${dir}`);
    const prof = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    return {
      cipher,
      mb: r3(e.bytes / 1e6),
      tty: summarizeCpuProfile(prof, { fromUs: ttyFrom, toUs: ttyTo }),
      exec: summarizeCpuProfile(prof, { fromUs: e.firstDataUs ?? 0, toUs: execTo }),
    };
  } finally {
    await sys.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const start = new Date().toISOString();
  const steps: Step[] = [];
  for (const name of targetsFromArgs(argv)) {
    const variants = name === 'islet' ? ISLET_CRYPTO.map((c) => () => startIsletSystem(c, ISLET_NODE_OPTIONS)) : [startPeerSystem];
    for (const open of variants) {
      const sys = await open();
      try {
        await runSystem(sys, steps);
      } finally {
        await sys.close();
      }
    }
  }
  const profile = PROFILE ? await profileIslet() : undefined;
  // The same label as every result's `run` block (results files do not make the tree dirty; git describe counted them).
  let commit = 'unknown';
  try {
    const { head, dirty } = treeState();
    commit = commitLabel(head, dirty);
  } catch {
    /* recorded as unknown */
  }
  const result = {
    benchmark: 'data-path-cpu',
    date: start,
    start,
    end: new Date().toISOString(),
    commit,
    machine: machineInfo(),
    command: `node bench/data-path-cpu.ts ${argv.join(' ')}`.trim(),
    method: `OpenSSH client, one cipher per connection. tty: head -c ${BYTES} /dev/zero in the trainee's shell (PTY); exec: ssh acct+demo@host 'head -c ${BYTES} /dev/zero' (ISLET only) minus an exec of true; keys: ${KEYS} keystrokes, each waiting for its echo. CPU = utime+stime from /proc/<pid>/stat before/after (container: its cgroup); idle = dockerd/containerd over an idle window of the same length.`,
    steps,
    summary: summarizeSteps(steps),
    ...(profile ? { profile } : {}),
  };
  writeResult('data-path-cpu', result);
  for (const s of result.summary) console.log(JSON.stringify(s));
  if (profile) {
    for (const k of ['tty', 'exec'] as const) {
      console.log(`profile ${k}: ${profile[k].busyMs} ms busy of ${profile[k].totalMs} ms`);
      for (const a of profile[k].byArea.slice(0, 10)) console.log(`  ${a.selfPct.toFixed(1)}%  ${a.area}`);
      for (const f of profile[k].top.slice(0, 15)) console.log(`  ${f.selfPct.toFixed(1)}%  ${f.name}  ${f.where}`);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
