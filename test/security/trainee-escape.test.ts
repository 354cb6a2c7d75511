/**
 * Security: what a hostile trainee can do from inside their own container,
 * through the real `islet serve`, the real SSH clients and the real engine.
 *
 * Every check is made as a trainee would make it (commands typed into the
 * shell ISLET gives them), and each negative result is paired with a
 * positive control so a test cannot pass because the tool itself is broken.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { Client } from 'ssh2';
import { IsletProcess } from '../helpers/islet-process.ts';
import { IsletListener } from '../helpers/islet-listen.ts';
import { TmuxSsh } from '../helpers/tmux-ssh.ts';
import { SshTrainee } from '../helpers/ssh-trainee.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { PROMPT, choose, createAccount, gate, sh } from '../helpers/trainee.ts';
import { SSH_PROMPT, chooseSsh, gateSsh, newAccountSsh, shSsh } from '../helpers/ssh-journey.ts';
import { DockerDriver } from '../../src/runtime/docker/index.ts';
import { execIn, mustExecIn } from '../helpers/container-exec.ts';

const runId = testRunId();
const islet = new IsletProcess(runId);
const driver = new DockerDriver();
const docker = new Docker();
const trainees: SshTrainee[] = [];
let second: IsletListener | undefined;

/** Round trips above this while a bomb runs in another container fail the test. */
const PING_LIMIT_MS = 1000;

/** A trainee with a fresh account, in `env`, at the shell prompt. */
async function trainee(user: string, env = 'demo'): Promise<SshTrainee> {
  const { t } = await gateSsh(islet.port);
  trainees.push(t);
  await newAccountSsh(t, user);
  await chooseSsh(t, env);
  await t.waitFor(SSH_PROMPT);
  return t;
}

let pings = 0;
/** One `echo` round trip through B's shell, in ms. */
async function ping(t: SshTrainee): Promise<number> {
  const n = ++pings;
  const started = performance.now();
  t.send(`echo pi""ng-${n}\r`); // the quotes keep the typed line from matching the answer
  await t.waitFor(new RegExp(`\\nping-${n}\\r?\\n`), 10_000);
  return performance.now() - started;
}

/**
 * Pings `t` every 150 ms until `done` settles (at least `min` pings, at most 80),
 * returning every round trip.
 */
async function pingWhile(t: SshTrainee, done: Promise<unknown>, min = 4): Promise<number[]> {
  let finished = false;
  void done.then(
    () => {
      finished = true;
    },
    () => {
      finished = true;
    },
  );
  const rtts: number[] = [];
  while ((!finished || rtts.length < min) && rtts.length < 80) {
    rtts.push(await ping(t));
    await new Promise((r) => setTimeout(r, 150));
  }
  return rtts;
}

/**
 * Run as root in a trainee's container (through the engine, not by the trainee): a setuid-root
 * busybox at /opt/suid/busybox and an empty root password, so `su` would succeed if the setuid bit counted.
 */
const PLANT_SUID = 'mkdir -p /opt/suid && cp /bin/busybox /opt/suid/busybox && chmod 4755 /opt/suid/busybox && sed -i "s/^root:[^:]*:/root::/" /etc/shadow';

/** The first of these cgroup files that exists (cgroup v1 path first, then v2). */
const cg = (v1: string, v2: string) => `$( [ -r /sys/fs/cgroup/${v1} ] && echo /sys/fs/cgroup/${v1} || echo /sys/fs/cgroup/${v2} )`;

describe('a trainee cannot escape their container', { concurrency: false }, () => {
  before(async () => {
    writeFileSync(
      join(islet.configDir, 'environments', 'netlab.yaml'),
      ['image: islet/demo:latest', 'description: Bridge network lab', 'user: student', 'command: /bin/sh -l', 'memory: 128m', 'network: bridge', ''].join('\n'),
    );
    // The control environment: the same image with ISLET's restrictions lifted, so every negative check
    // can show its probe working. Never offered to real trainees; it exists only in this test's config.
    writeFileSync(
      join(islet.configDir, 'environments', 'loose.yaml'),
      [
        'image: islet/demo:latest',
        'description: Control with restrictions lifted',
        'user: student',
        'command: /bin/sh -l',
        'memory: 128m',
        'cap_add: [SETUID, SETGID, SYS_ADMIN]',
        'no_new_privileges: false',
        '',
      ].join('\n'),
    );
    await islet.start();
  });
  after(async () => {
    for (const t of trainees) t.end();
    await TmuxSsh.closeAll();
    await second?.stop();
    await islet.dispose();
    await sweepTestContainers(runId);
  });

  test('no root: uid 1000, no capabilities at all, no_new_privs set (also for pid 1)', async () => {
    const s = await gate(islet.port);
    await createAccount(s, 'rooter');
    await choose(s, 'demo');
    await s.waitFor(PROMPT);
    assert.equal(await sh(s, 'id -u; id -g'), '1000\n1000');
    const status = await sh(s, 'grep -E "^(Cap|NoNewPrivs)" /proc/self/status');
    for (const cap of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) {
      assert.match(status, new RegExp(`^${cap}:\\s+0{16}$`, 'm'), `${cap} is all zeros:\n${status}`);
    }
    assert.match(status, /^NoNewPrivs:\s+1$/m, 'no_new_privs: setuid binaries cannot raise privileges');
    // The shell itself (pid 1) and a process it starts both run without capabilities.
    assert.match(await sh(s, 'grep CapEff /proc/1/status'), /^CapEff:\s+0{16}$/m);
    await s.close();
  });

  test('a setuid-root su (root password empty) gives uid 0 in the control environment, "must be suid" under ISLET\'s defaults', async () => {
    // The image's own su is not setuid, so it fails everywhere: plant a setuid-root busybox and a
    // password-less root in both containers, so only the environment's settings decide.
    const probe = '/opt/suid/busybox su -c "id -u" root </dev/null 2>&1; echo rc=$?';
    for (const [env, user] of [
      ['demo', 'suer'],
      ['loose', 'suloose'],
    ] as const) {
      const t = await trainee(user, env);
      assert.equal(
        await mustExecIn(driver, `${islet.instance}.${env}.${user}`, `${PLANT_SUID} && head -c 6 /etc/shadow`),
        'root::',
        `${env}: root's password is empty`,
      );
      assert.equal(await shSsh(t, 'stat -c "%a %U" /opt/suid/busybox'), '4755 root', `${env}: the trainee sees a setuid-root busybox`);
      const out = await shSsh(t, probe);
      if (env === 'loose') assert.equal(out, '0\nrc=0', `control (no_new_privileges off, SETUID/SETGID added): su reaches uid 0:\n${out}`);
      else
        assert.equal(
          out,
          'su: must be suid to work properly\nrc=1',
          `ISLET's defaults: the setuid bit is ignored (no_new_privs), su cannot raise privileges:\n${out}`,
        );
    }
  });

  test('no user namespaces: unshare -r fails with EPERM; it works in the control environment (SYS_ADMIN added)', async () => {
    const t = await trainee('nsuser');
    const out = await shSsh(t, 'unshare -r -m true 2>&1; echo rc=$?');
    assert.match(
      out,
      /^unshare: unshare\(0x[0-9a-f]+\): Operation not permitted\nrc=1$/,
      `creating a user namespace (fake root) must fail with EPERM:\n${out}`,
    );
    const control = await trainee('nsloose', 'loose');
    assert.equal(
      await shSsh(control, 'unshare -r -m sh -c "id -u" 2>&1; echo rc=$?'),
      '0\nrc=0',
      'control: the same unshare makes a fake root where SYS_ADMIN is in the bounding set',
    );
  });

  test("a command over a direct login (ssh alice+demo@host 'cmd') is as confined as the shell", async () => {
    const t = await trainee('execer');
    await shSsh(t, 'echo mine > marker');
    const c = new Client();
    await new Promise<void>((res, rej) =>
      c
        .once('ready', () => res())
        .once('error', rej)
        .connect({ host: '127.0.0.1', port: islet.port, username: 'execer+demo', password: 'trainee1', hostVerifier: () => true, readyTimeout: 20_000 }),
    );
    const run = (cmd: string) =>
      new Promise<{ out: string; code: number | null }>((res, rej) =>
        c.exec(cmd, (err, ch) => {
          if (err) return rej(err);
          let out = '';
          ch.on('data', (b: Buffer) => {
            out += b;
          }).stderr.on('data', (b: Buffer) => {
            out += b;
          });
          ch.on('exit', (code: number | null) => {
            ch.on('close', () => res({ out, code }));
          });
        }),
      );
    try {
      const r = await run(
        'id -u; hostname; cat marker; grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status; ls /var/run/docker.sock 2>&1; mount -t tmpfs x /tmp 2>&1; echo mount=$?',
      );
      assert.match(r.out, /^1000\ndemo\nmine\n/, `runs as uid 1000 in the trainee's own container:\n${r.out}`);
      assert.match(r.out, /CapEff:\s+0{16}/);
      assert.match(r.out, /CapBnd:\s+0{16}/);
      assert.match(r.out, /NoNewPrivs:\s+1/);
      assert.match(r.out, /docker\.sock: No such file/);
      assert.match(r.out, /mount: permission denied \(are you root\?\)\nmount=1/, `mount is refused by the kernel (EPERM), not missing:\n${r.out}`);
    } finally {
      c.end();
    }
  });

  test('cannot mount anything (EPERM, even as root in the container); root in the control environment can', async () => {
    const t = await trainee('mounter');
    const out = await shSsh(t, 'mkdir -p /tmp/m; mount -t tmpfs x /tmp/m 2>&1; echo rc=$?; grep -c " /tmp/m " /proc/mounts');
    assert.equal(out, 'mount: permission denied (are you root?)\nrc=1\n0', `mount must be refused (EPERM) and nothing mounted:\n${out}`);
    const bind = await shSsh(t, 'mount --bind /home /tmp/m 2>&1; echo rc=$?');
    assert.equal(bind, 'mount: permission denied (are you root?)\nrc=1', `bind mount must be refused:\n${bind}`);
    // Without capabilities even uid 0 in the container cannot mount ...
    const asRoot = await execIn(driver, `${islet.instance}.demo.mounter`, 'mount -t tmpfs x /tmp/m 2>&1; echo rc=$?');
    assert.equal(asRoot.out, 'mount: permission denied (are you root?)\nrc=1', 'root in an ISLET container has no CAP_SYS_ADMIN');
    // ... while in the control environment (SYS_ADMIN added) the very same command mounts.
    await trainee('mountloose', 'loose');
    const control = await execIn(
      driver,
      `${islet.instance}.loose.mountloose`,
      'mkdir -p /tmp/m && mount -t tmpfs x /tmp/m 2>&1; echo rc=$?; grep -c " /tmp/m " /proc/mounts',
    );
    assert.equal(control.out, 'rc=0\n1', `control: the probe mounts where the capability is present:\n${control.out}`);
  });

  test("cannot see or signal another trainee's processes", async () => {
    const a = await trainee('procsa');
    const b = await trainee('procsb');
    const pid = Number(/pid=(\d+)/.exec(await shSsh(a, 'sleep 4242 & echo pid=$!'))?.[1]);
    assert.ok(pid > 1, 'A started a background sleep');
    // The background child may not have exec'd sleep yet (a fresh-clone CI run of 47b1e61 saw it as `/bin/sh -l`):
    // wait for it, up to 5 s, before reading ps.
    const psA = await shSsh(a, 'for i in $(seq 50); do ps | grep -q "[s]leep 4242" && break; sleep 0.1; done; ps');
    assert.match(psA, /sleep 4242/, 'A sees its own process (the check below can fail for the right reason)');
    const psB = await shSsh(b, 'ps');
    assert.doesNotMatch(psB, /4242/, `B's ps does not show A's sleep:\n${psB}`);
    // A's sleep seen from the host: its host pid.
    const top = await docker.getContainer(`${islet.instance}.demo.procsa`).top();
    const col = top.Titles.indexOf('PID');
    const hostPid = Number(top.Processes.find((p: string[]) => p.join(' ').includes('sleep 4242'))?.[col]);
    assert.ok(hostPid > 0, 'the host sees the sleep');
    assert.doesNotThrow(() => process.kill(hostPid, 0), 'control: the host pid is live and signalable from the host');
    // Control: B's kill works on B's own processes.
    const own = await shSsh(b, 'sleep 4343 & p=$!; kill -9 $p; echo rc=$?; wait $p; echo status=$?');
    assert.match(own, /^rc=0\n(Killed\n)?status=137$/, `B can kill its own process:\n${own}`);
    const kills = await shSsh(b, `kill -9 ${hostPid} 2>&1; echo rc=$?; kill -0 ${hostPid} 2>&1; echo rc=$?`);
    const esrch = `sh: can't kill pid ${hostPid}: No such process\nrc=1`; // the shell's builtin kill
    assert.equal(kills, `${esrch}\n${esrch}`, `A's host pid does not exist in B's pid namespace (ESRCH):\n${kills}`);
    // A's pid number means nothing (or one of B's own processes) in B's namespace. It can be the number of B's own
    // shell (the two containers' pids need not run in step), and a shell killing itself ends B's session and proves
    // nothing: B tries every number but its own.
    await shSsh(b, `[ ${pid} -eq $$ ] || kill -9 ${pid} 2>/dev/null; true`);
    assert.match(await shSsh(a, `kill -0 ${pid} && echo alive`), /alive/, "A's sleep survived B's attempts");
    assert.match(await shSsh(a, 'ps'), /sleep 4242/);
  });

  test('network none: only loopback, the host and ISLET are unreachable', async () => {
    const t = await trainee('offline');
    const dev = await shSsh(t, 'cat /proc/net/dev');
    const ifaces = dev
      .split('\n')
      .filter((l) => l.includes(':'))
      .map((l) => l.split(':')[0]!.trim())
      .filter((n) => !/^(Inter-|face)/.test(n));
    assert.deepEqual(ifaces, ['lo'], `only lo in /proc/net/dev:\n${dev}`);
    const links = await shSsh(t, 'ip -o link');
    assert.deepEqual(
      links
        .split('\n')
        .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1])
        .filter(Boolean),
      ['lo'],
      links,
    );
    assert.equal(await shSsh(t, 'ip route 2>&1 | grep -c . ; true'), '0', 'no routes at all');
    const bridge = (await docker.getNetwork('bridge').inspect()) as { IPAM?: { Config?: { Gateway?: string }[] } };
    const hostGw = bridge.IPAM?.Config?.find((c) => c.Gateway)?.Gateway ?? '172.17.0.1';
    // Each probe fails at once (no route, or nothing on the container's own loopback): no packet leaves.
    const probe = await shSsh(t, `nc -w 2 ${hostGw} ${islet.port} </dev/null 2>&1; echo rc=$?; nc -w 2 127.0.0.1 ${islet.port} </dev/null 2>&1; echo rc=$?`);
    assert.match(probe, /unreachable[\s\S]*rc=1[\s\S]*refused[\s\S]*rc=1/i, `the host gateway and ISLET's port are unreachable:\n${probe}`);
    assert.doesNotMatch(probe, /SSH-2\.0/);
  });

  test('cannot read host files or the Docker socket; no host paths are mounted', async () => {
    const t = await trainee('snoop');
    const sock = await shSsh(t, 'ls -l /var/run/docker.sock /run/docker.sock /run/containerd/containerd.sock 2>&1; echo rc=$?');
    assert.match(sock, /No such file[\s\S]*rc=[1-9]/, sock);
    assert.equal(await shSsh(t, 'cat /etc/hostname; hostname'), 'demo\ndemo', "the container's hostname, not the host's");
    assert.notEqual(hostname(), 'demo');
    const mounts = await shSsh(t, 'cat /proc/mounts');
    assert.doesNotMatch(mounts, /docker\.sock|containerd\.sock/);
    // Besides the engine's: the pty relay's binary and this container's own socket directory (docs/security.md).
    const allowed = /^(\/|\/proc(\/.*)?|\/dev(\/.*)?|\/sys(\/.*)?|\/etc\/(resolv\.conf|hostname|hosts)|\/\.islet-relay|\/\.islet-io)$/;
    const targets = mounts
      .split('\n')
      .map((l) => l.split(' ')[1]!)
      .filter(Boolean);
    assert.deepEqual(
      targets.filter((m) => !allowed.test(m)),
      [],
      `only the engine's standard mounts:\n${mounts}`,
    );
    // The relay's two binds are read-only; the socket directory holds only this container's socket.
    for (const target of ['/.islet-relay', '/.islet-io']) assert.match(mounts, new RegExp(`^\\S+ ${target.replace('.', '\\.')} \\S+ ro[,\\s]`, 'm'), mounts);
    assert.equal(await shSsh(t, 'ls -A /.islet-io'), 'sock');
    // The engine's own files (resolv.conf, hostname, hosts) are the only files from the host's disk, and /sys is read-only.
    assert.match(mounts, /^sysfs \/sys sysfs ro[,\s]/m);
    assert.equal(
      await shSsh(t, 'touch /etc/passwd 2>&1; echo rc=$?'),
      'touch: /etc/passwd: Permission denied\nrc=1',
      'system files are not writable by the trainee (EACCES)',
    );
    assert.equal(
      await shSsh(t, 'cat /etc/shadow 2>&1; echo rc=$?'),
      "cat: can't open '/etc/shadow': Permission denied\nrc=1",
      'root-only files are not readable',
    );
    // Control: the files are writable and readable by their owner (the filesystem is not read-only); only uid 1000 is refused.
    const root = await execIn(driver, `${islet.instance}.demo.snoop`, 'touch /etc/passwd; echo rc=$?; head -c 5 /etc/shadow; echo; echo rc=$?');
    assert.equal(root.out, 'rc=0\nroot:\nrc=0', `control: root in the container can touch /etc/passwd and read /etc/shadow:\n${root.out}`);
  });

  describe('network: bridge (ISLET-owned network without inter-container traffic)', { concurrency: false }, () => {
    let a: SshTrainee;
    let gateway = '';
    const tag = Math.random().toString(36).slice(2, 8);
    const get = "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n'";

    before(async () => {
      a = await trainee('neta', 'netlab');
      const net = (await docker.getNetwork(`${islet.instance}-bridge`).inspect()) as {
        IPAM?: { Config?: { Gateway?: string; Subnet?: string }[] };
        Options?: Record<string, string>;
        Labels?: Record<string, string>;
      };
      gateway = net.IPAM?.Config?.find((c) => c.Gateway)?.Gateway ?? '';
      assert.match(gateway, /^\d+\.\d+\.\d+\.\d+$/, 'the trainee network has a gateway');
      assert.equal(net.Options?.['com.docker.network.bridge.enable_icc'], 'false');
      assert.equal(net.Labels?.['islet.test'], runId);
    });

    test("trainee A cannot reach trainee B's container, whose listener works", async () => {
      const b = await trainee('netb', 'netlab');
      const bIp = /inet (\d+\.\d+\.\d+\.\d+)/.exec(await shSsh(b, 'ip -o -4 addr show eth0'))?.[1] ?? '';
      const aIp = /inet (\d+\.\d+\.\d+\.\d+)/.exec(await shSsh(a, 'ip -o -4 addr show eth0'))?.[1] ?? '';
      assert.ok(bIp && aIp && aIp !== bIp, `two addresses on the bridge (${aIp}, ${bIp})`);
      await shSsh(b, `echo hello-${tag} > index.html; httpd -p 8080 -h /home/student; echo started`);
      // Positive control: B's web server answers inside B, on loopback and on B's bridge address.
      assert.match(await shSsh(b, `${get} | nc -w 2 127.0.0.1 8080`), new RegExp(`hello-${tag}`));
      assert.match(await shSsh(b, `${get} | nc -w 2 ${bIp} 8080`), new RegExp(`hello-${tag}`));
      const fromA = await shSsh(a, `${get} | nc -w 2 ${bIp} 8080 2>&1; echo rc=$?`, 15_000);
      assert.doesNotMatch(fromA, new RegExp(`hello-${tag}`), `A reached B:\n${fromA}`);
      assert.match(fromA, /rc=[1-9]/, fromA);
    });

    describe("ISLET's SSH port, reachable from the trainee network through the gateway", { concurrency: false }, () => {
      before(async () => {
        // The main server listens on loopback, which a container cannot reach at all; a second
        // process of the same deployment listens on the bridge gateway, as `0.0.0.0` would in production.
        second = await IsletListener.start(islet, gateway);
        await second.waitForLog((l) => l.event === 'trainee_network' && Array.isArray(l.subnets) && (l.subnets as string[]).length > 0);
      });

      test('a trainee cannot log in to ISLET from the bridge: the server refuses the trainee subnet', async () => {
        const out = await shSsh(
          a,
          `printf 'SSH-2.0-probe\\r\\n' | nc -w 3 ${gateway} ${second!.port} > probe.out 2> probe.err; cat probe.err; echo bytes=$(wc -c < probe.out)`,
          15_000,
        );
        assert.doesNotMatch(out, /can't connect|refused|unreachable|timed out/i, `the TCP connection itself reaches the listener (positive control):\n${out}`);
        const refused = await second!.waitForLog((l) => l.event === 'connection_refused' && l.reason === 'trainee_network');
        assert.match(String(refused.client), /^\d+\.\d+\.\d+\.\d+$/);
        assert.ok(!second!.logs.some((l) => l.event === 'gate_login_failed' || l.event === 'gate_login_ok'), 'no authentication step ever ran for the trainee');
        // No key exchange is offered: at most the identification line (a KEXINIT would add ~700 bytes).
        assert.ok(Number(/bytes=(\d+)/.exec(out)?.[1]) < 100, `no key exchange offered:\n${out}`);
      });

      test('a trainee connecting to ISLET from the bridge is refused at once: no SSH banner, connection not held open', async () => {
        const probing = await shSsh(a, `printf 'SSH-2.0-probe\\r\\n' | nc -w 3 ${gateway} ${second!.port} 2>&1 | head -c 100; echo; echo done`, 15_000);
        // A client that sends nothing: is it closed by the server, or kept waiting?
        const silent = await shSsh(
          a,
          `(sleep 8 | nc ${gateway} ${second!.port} > silent.out 2>&1 &); sleep 3; echo "open=$(ps | grep -c '[n]c ${gateway}')"; head -c 100 silent.out; echo; kill $(pidof nc) 2>/dev/null; true`,
          15_000,
        );
        const open = Number(/open=(\d+)/.exec(silent)?.[1]);
        const problems = [
          ...(/SSH-2\.0/.test(probing) ? ['ISLET sent its identification line to a client on the trainee network before refusing it'] : []),
          ...(/SSH-2\.0/.test(silent) ? ['ISLET sent its identification line to a silent client on the trainee network'] : []),
          ...(open !== 0 ? ['a silent connection from the trainee network was still open 3 s later (never refused, never timed out)'] : []),
        ];
        assert.deepEqual(problems, [], `${problems.join('; ')}\nprobe: ${JSON.stringify(probing)}\nsilent: ${JSON.stringify(silent)}`);
      });
    });
  });

  describe('resource bombs stay inside their container while another trainee keeps working', { concurrency: false }, () => {
    let b: SshTrainee;
    before(async () => {
      b = await trainee('pinger');
      const base = [];
      for (let i = 0; i < 3; i++) base.push(await ping(b));
      assert.ok(Math.max(...base) < PING_LIMIT_MS, `baseline round trips ${base.map(Math.round).join(', ')} ms`);
    });

    test('fork bomb: hits the pids limit (256); B answers within 1 s meanwhile', async (ctx) => {
      const a = await trainee('forker');
      // The cgroup files' paths are worked out before the bomb: during it, only builtins (read, echo) can run.
      await shSsh(a, `PM=${cg('pids/pids.max', 'pids.max')}; PC=${cg('pids/pids.current', 'pids.current')}; PE=${cg('pids/pids.events', 'pids.events')}`);
      assert.equal(await shSsh(a, 'read x < $PM; echo $x'), '256');
      a.send('bomb(){ bomb|bomb& }; echo defined\r');
      await a.waitFor(/\ndefined/);
      // A classic bomb collapses once forks start failing, so A's shell (which survives a failed fork)
      // sets it off again every 300 ms for 3 s, reading the container's process count after each wave.
      const waves = (async () => {
        for (let i = 0; i < 10; i++) {
          a.send('bomb 2>/dev/null\r');
          await new Promise((r) => setTimeout(r, 150));
          a.send('read x < $PC; echo "cur=$x"\r');
          await new Promise((r) => setTimeout(r, 150));
        }
      })();
      const rtts = await pingWhile(b, waves, 6);
      await new Promise((r) => setTimeout(r, 300));
      const events = await shSsh(a, 'read k n < $PE; echo ev=$k:$n');
      const counts = [...a.output.matchAll(/cur=(\d+)/g)].map((m) => Number(m[1]));
      const denied = Number(/ev=max:(\d+)/.exec(events)?.[1]);
      ctx.diagnostic(
        `fork bomb: process counts ${counts.join(' ')}; forks refused at the limit: ${denied}; B's round trips ${rtts.map(Math.round).join(', ')} ms`,
      );
      assert.ok(counts.length > 0 && Math.max(...counts) <= 256, `never more than 256 processes (${counts.join(' ')})`);
      assert.ok(Math.max(...counts) >= 200, `the bomb filled the container's process table (${counts.join(' ')})`);
      assert.ok(denied > 0, `forks were refused at the limit (${events})`);
      assert.ok(Math.max(...rtts) < PING_LIMIT_MS, `B's round trips during the fork bomb: ${rtts.map(Math.round).join(', ')} ms`);
      await driver.remove(`${islet.instance}.demo.forker`);
    });

    test('memory bomb: OOM-killed inside the container (128m, no swap); B answers within 1 s meanwhile', async (ctx) => {
      const a = await trainee('hog');
      assert.equal(await shSsh(a, `cat ${cg('memory/memory.limit_in_bytes', 'memory.max')}`), String(128 * 1024 * 1024));
      assert.equal(await shSsh(a, 'cat /proc/self/oom_score_adj; echo kept > before-bomb'), '100', "the trainee's processes are the kernel's first choice");
      a.send('for i in 1 2 3 4; do head -c 419430400 /dev/zero | tail; echo "oom-rc=$?"; done; echo bomb-over\r');
      // The kernel kills the biggest process, the bomb. On a loaded machine a killed bomb's memory can still be
      // charged when the next allocation fails, and then the kill falls on a small process, possibly the shell:
      // the relay then starts a new shell in the same container and says so (native/pty-relay.c).
      const done = a.waitFor(/\nbomb-over|\[islet\] Out of memory/, 60_000);
      const rtts = await pingWhile(b, done);
      const respawned = (await done)[0].includes('Out of memory');
      const codes = [...a.output.matchAll(/oom-rc=(\d+)/g)].map((m) => m[1]);
      if (respawned) {
        ctx.diagnostic(`memory bomb: the kernel took A's shell too, after ${codes.length} bomb kill(s); the relay started a new one`);
        await a.waitFor(SSH_PROMPT, 10_000);
        assert.ok(
          codes.every((c) => c === '137'),
          `each finished allocation was killed (SIGKILL): ${codes.join(' ')}`,
        );
      } else assert.deepEqual(codes, ['137', '137', '137', '137'], 'each 400 MB allocation was killed (SIGKILL) by the OOM killer');
      const oom = await shSsh(a, `cat ${cg('memory/memory.oom_control', 'memory.events')}`);
      const kills = codes.length + (respawned ? 1 : 0);
      assert.ok(Number(/oom_kill (\d+)/.exec(oom)?.[1]) >= kills, `the container's own OOM counter shows the ${kills} kills:\n${oom}`);
      assert.equal(await shSsh(a, 'cat before-bomb; echo still-here'), 'kept\nstill-here', 'A still has a shell in the same container, files kept');
      ctx.diagnostic(`memory bomb: B's round trips ${rtts.map(Math.round).join(', ')} ms`);
      assert.ok(Math.max(...rtts) < PING_LIMIT_MS, `B's round trips during the memory bomb: ${rtts.map(Math.round).join(', ')} ms`);
      await driver.remove(`${islet.instance}.demo.hog`);
    });

    test('disk filling: a write loop stops at the 1 GiB fsize limit; B answers within 1 s meanwhile', async (ctx) => {
      const a = await trainee('filler');
      assert.match(await shSsh(a, 'grep "Max file size" /proc/self/limits'), /1073741824\s+1073741824\s+bytes/);
      a.send(
        'i=0; while [ $i -lt 40 ]; do dd if=/dev/zero bs=1M count=100 2>/dev/null >> big; rc=$?; [ $rc -eq 0 ] || break; i=$((i+1)); done; echo "fill-i=$i rc=$rc size=$(stat -c %s big)"\r',
      );
      const done = a.waitFor(/fill-i=(\d+) rc=(\d+) size=(\d+)/, 60_000);
      const rtts = await pingWhile(b, done);
      const m = await done;
      assert.equal(m[3], String(1024 ** 3), 'the file stopped growing at exactly 1 GiB');
      assert.equal(m[1], '10', 'the loop was stopped by the limit, on its 11th 100 MB write');
      assert.ok(m[2] === '153' || m[2] === '1', `the writer got SIGXFSZ ("File size limit exceeded", 153) or EFBIG ("File too large"), rc=${m[2]}`);
      ctx.diagnostic(`disk fill: B's round trips ${rtts.map(Math.round).join(', ')} ms`);
      assert.ok(Math.max(...rtts) < PING_LIMIT_MS, `B's round trips during the disk fill: ${rtts.map(Math.round).join(', ')} ms`);
      await shSsh(a, 'rm -f big');
      await driver.remove(`${islet.instance}.demo.filler`);
    });
  });
});
