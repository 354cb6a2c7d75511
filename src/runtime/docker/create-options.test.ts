import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { environmentSchema, type Environment, type EnvironmentInput } from '../../config/schema.ts';
import { IsletError } from '../../core/islet-error.ts';
import type { CreateRequest } from '../runtime-driver.ts';
import { containerHostname, createOptions, READONLY_TMP_TMPFS, TRAINEE_OOM_SCORE_ADJ } from './create-options.ts';

const MiB = 1024 ** 2;

function env(input: Partial<EnvironmentInput> = {}, name = 'demo'): Environment {
  return { ...environmentSchema.parse({ image: 'islet/demo:latest', ...input }), name, source: 'test.yaml' };
}

function req(input: Partial<EnvironmentInput> = {}, extra: Partial<CreateRequest> = {}): CreateRequest {
  return { name: 'islet.demo.alice', env: env(input), labels: { 'islet.account': 'alice' }, ...extra };
}

describe('createOptions', () => {
  test('defaults: TTY wiring, image, name, labels, secure host config', () => {
    const o = createOptions(req());
    assert.equal(o.name, 'islet.demo.alice');
    assert.equal(o.Image, 'islet/demo:latest');
    assert.equal(o.Tty, true);
    assert.equal(o.OpenStdin, true);
    assert.equal(o.StdinOnce, false);
    assert.equal(o.AttachStdin, true);
    assert.equal(o.AttachStdout, true);
    assert.equal(o.AttachStderr, true);
    assert.deepEqual(o.Labels, { 'islet.account': 'alice', 'islet.managed': 'true' });
    assert.equal('User' in o, false, 'no user: image default');
    assert.equal('WorkingDir' in o, false, 'no workdir: image default');
    assert.equal('Cmd' in o, false, 'no command: image CMD');
    assert.equal('Volumes' in o, false);
    const h = o.HostConfig!;
    assert.equal(h.Privileged, false);
    assert.equal(h.Memory, 512 * MiB);
    assert.equal(h.MemorySwap, 512 * MiB, 'swap 0: memory+swap = memory');
    assert.equal(h.CpuShares, 1024);
    assert.equal(h.PidsLimit, 256);
    assert.deepEqual(h.Ulimits, [
      { Name: 'nofile', Soft: 1024, Hard: 2048 },
      { Name: 'fsize', Soft: 1024 ** 3, Hard: 1024 ** 3 },
    ]);
    assert.deepEqual(h.LogConfig, { Type: 'none', Config: {} }, 'no engine log of what trainees type and see');
    assert.deepEqual(h.CapAdd, []);
    assert.deepEqual(h.CapDrop, ['ALL']);
    assert.deepEqual(h.SecurityOpt, ['no-new-privileges']);
    assert.equal(h.ReadonlyRootfs, false);
    assert.equal(h.Tmpfs, undefined);
    assert.equal(h.NetworkMode, 'none');
    assert.equal(h.Dns, undefined);
    assert.deepEqual(h.Binds, []);
    assert.equal(h.AutoRemove, false);
    assert.equal(h.OomScoreAdj, TRAINEE_OOM_SCORE_ADJ, "in a host-wide shortage the kernel takes trainees' processes first");
  });

  test('labels: islet.managed is always true, request labels are kept', () => {
    const o = createOptions(req({}, { labels: { 'islet.managed': 'false', 'islet.test': 'run1', 'islet.environment': 'demo' } }));
    assert.deepEqual(o.Labels, { 'islet.managed': 'true', 'islet.test': 'run1', 'islet.environment': 'demo' });
  });

  test('hostname: env.hostname, else the environment name made hostname-safe, never empty; ExtraHosts maps it to loopback', () => {
    assert.equal(createOptions(req({ hostname: 'lab1' })).Hostname, 'lab1');
    assert.deepEqual(createOptions(req({ hostname: 'lab1' })).HostConfig!.ExtraHosts, ['lab1:127.0.0.1']);
    const o = createOptions({ ...req(), env: env({}, 'Web_Course.2') });
    assert.equal(o.Hostname, 'web-course-2');
    assert.deepEqual(o.HostConfig!.ExtraHosts, ['web-course-2:127.0.0.1']);
    assert.equal(containerHostname('___'), 'islet');
    assert.equal(containerHostname('a'.repeat(80)).length, 63);
    assert.match(containerHostname(`${'a'.repeat(62)}_b`), /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
  });

  test('user and workdir: /home/<user> for a non-root user, image default for root', () => {
    let o = createOptions(req({ user: 'student' }));
    assert.equal(o.User, 'student');
    assert.equal(o.WorkingDir, '/home/student');
    o = createOptions(req({ user: 'student:users' }));
    assert.equal(o.User, 'student:users');
    assert.equal(o.WorkingDir, '/home/student');
    for (const u of ['root', '0', 'root:root', '0:0']) {
      o = createOptions(req({ user: u }));
      assert.equal(o.User, u);
      assert.equal('WorkingDir' in o, false, `user ${u}`);
    }
    o = createOptions(req({ user: 'student', workdir: '/srv/lab' }));
    assert.equal(o.WorkingDir, '/srv/lab');
    o = createOptions(req({ workdir: '/srv/lab' }));
    assert.equal(o.WorkingDir, '/srv/lab');
    assert.equal('User' in o, false);
  });

  test('command: a string is split on whitespace, an array is kept, unset uses the image CMD', () => {
    assert.deepEqual(createOptions(req({ command: '  /bin/sh   -l \t -i ' })).Cmd, ['/bin/sh', '-l', '-i']);
    assert.deepEqual(createOptions(req({ command: ['/bin/bash', '--login', 'a b'] })).Cmd, ['/bin/bash', '--login', 'a b']);
    assert.equal('Cmd' in createOptions(req()), false);
  });

  test('pty relay: its binds are read-only, it is the entrypoint with the program after its arguments, its label is added', () => {
    const relay = {
      binds: [
        ['/var/lib/islet/pty-relay-bin', '/.islet-relay'],
        ['/data/pty-relay/0123456789abcdef01234567', '/.islet-io'],
      ] as const,
      entrypoint: ['/.islet-relay'],
      cmd: ['/.islet-io/sock', '/bin/sh', '-l'],
      labels: { 'islet.relay': '0123456789abcdef01234567', 'islet.managed': 'false' },
    };
    const o = createOptions(req({ command: 'bash -l', mounts: [{ source: '/srv/pcaps', target: '/pcaps' }] }), {}, relay);
    assert.deepEqual(o.Entrypoint, ['/.islet-relay']);
    assert.deepEqual(o.Cmd, ['/.islet-io/sock', '/bin/sh', '-l'], 'the caller puts the program after the relay arguments');
    assert.deepEqual(o.HostConfig!.Binds, [
      '/srv/pcaps:/pcaps:ro',
      '/var/lib/islet/pty-relay-bin:/.islet-relay:ro',
      '/data/pty-relay/0123456789abcdef01234567:/.islet-io:ro',
    ]);
    assert.equal(o.Labels!['islet.relay'], '0123456789abcdef01234567');
    assert.equal(o.Labels!['islet.managed'], 'true', 'the relay cannot unset the managed label');
    assert.equal(o.Tty, true, 'the engine still gives the relay a TTY of its own (the relay ignores it)');
    assert.equal(o.HostConfig!.OomScoreAdj, 0, 'the relay stays at 0; it puts the program it starts at TRAINEE_OOM_SCORE_ADJ');
    assert.throws(
      () => createOptions(req(), {}, { ...relay, binds: [['/var/run', '/.islet-io']] }),
      (e: unknown) => e instanceof IsletError && e.code === 'CONFIG_FORBIDDEN',
    );
  });

  test('env vars as NAME=value plus TERM from the request; junk TERM values are replaced', () => {
    let o = createOptions(req({ env: { LANG: 'C.UTF-8', EMPTY: '', WITH_EQ: 'a=b c' } }, { term: 'xterm-256color' }));
    assert.deepEqual(o.Env, ['LANG=C.UTF-8', 'EMPTY=', 'WITH_EQ=a=b c', 'TERM=xterm-256color']);
    o = createOptions(req({ env: { TERM: 'vt100' } }, { term: 'screen.xterm-256color' }));
    assert.deepEqual(o.Env, ['TERM=screen.xterm-256color'], 'the client terminal type wins');
    o = createOptions(req({ env: { TERM: 'vt100' } }));
    assert.deepEqual(o.Env, ['TERM=vt100'], 'no client TERM: the configured one stays');
    assert.deepEqual(createOptions(req({}, { term: 'x\nEVIL=1' })).Env, ['TERM=xterm']);
    assert.deepEqual(createOptions(req()).Env, []);
  });

  test('memory and swap: MemorySwap = memory + swap; unlimited memory gives -1', () => {
    let h = createOptions(req({ memory: '128m', swap: '64m' })).HostConfig!;
    assert.equal(h.Memory, 128 * MiB);
    assert.equal(h.MemorySwap, 192 * MiB);
    h = createOptions(req({ memory: 0, swap: '64m' })).HostConfig!;
    assert.equal(h.Memory, 0);
    assert.equal(h.MemorySwap, -1);
  });

  test('cpu shares, pids limit, ulimits (unlimited as -1), capabilities', () => {
    const h = createOptions(
      req({ cpu_shares: 512, pids_limit: -1, ulimits: { nproc: '64:128', core: 0, stack: 'unlimited' }, cap_drop: ['all'], cap_add: ['CAP_CHOWN', 'setuid'] }),
    ).HostConfig!;
    assert.equal(h.CpuShares, 512);
    assert.equal(h.PidsLimit, -1);
    assert.deepEqual(h.Ulimits, [
      { Name: 'nproc', Soft: 64, Hard: 128 },
      { Name: 'core', Soft: 0, Hard: 0 },
      { Name: 'stack', Soft: -1, Hard: -1 },
    ]);
    assert.deepEqual(h.CapDrop, ['ALL']);
    assert.deepEqual(h.CapAdd, ['CHOWN', 'SETUID']);
  });

  test("cgroup parent: ISLET's idle trainee group on a local engine that has it, else the engine's own", () => {
    assert.equal(createOptions(req({})).HostConfig!.CgroupParent, undefined);
    assert.equal(createOptions(req({}), { cgroupParent: '/islet-trainees' }).HostConfig!.CgroupParent, '/islet-trainees');
  });

  test('no_new_privileges: false leaves SecurityOpt empty', () => {
    assert.deepEqual(createOptions(req({ no_new_privileges: false })).HostConfig!.SecurityOpt, []);
  });

  test('read-only root: tmpfs /tmp and an anonymous volume at the workdir', () => {
    let o = createOptions(req({ read_only_root: true, user: 'student' }));
    assert.equal(o.HostConfig!.ReadonlyRootfs, true);
    assert.deepEqual(o.HostConfig!.Tmpfs, { '/tmp': READONLY_TMP_TMPFS });
    assert.deepEqual(o.Volumes, { '/home/student': {} });
    o = createOptions(req({ read_only_root: true, workdir: '/work' }));
    assert.deepEqual(o.Volumes, { '/work': {} });
    o = createOptions(req({ read_only_root: true }));
    assert.equal('Volumes' in o, false, 'workdir unknown (image default): no volume');
    assert.deepEqual(o.HostConfig!.Tmpfs, { '/tmp': READONLY_TMP_TMPFS });
    o = createOptions(req({ read_only_root: true, workdir: '/' }));
    assert.equal('Volumes' in o, false, 'never a volume over /');
  });

  test('network: none by default, bridge with DNS servers; DNS ignored without a network', () => {
    let h = createOptions(req({ network: 'bridge', dns: ['1.1.1.1', '2606:4700::1111'] })).HostConfig!;
    assert.equal(h.NetworkMode, 'bridge');
    assert.deepEqual(h.Dns, ['1.1.1.1', '2606:4700::1111']);
    h = createOptions(req({ network: 'bridge' })).HostConfig!;
    assert.equal(h.Dns, undefined);
    h = createOptions(req({ network: 'none', dns: ['1.1.1.1'] })).HostConfig!;
    assert.equal(h.NetworkMode, 'none');
    assert.equal(h.Dns, undefined);
  });

  test("network off on a local engine: no sandbox (NetworkDisabled) and ISLET's hosts file read-only at /etc/hosts", () => {
    const asked: string[] = [];
    const local = { hostsFileFor: (h: string) => (asked.push(h), `/data/etc-hosts/${h}`) };
    const named = { name: 'islet.Lab_1.alice', env: env({ network: 'none', mounts: [{ source: '/srv/course', target: '/course' }] }, 'Lab_1'), labels: {} };
    let o = createOptions(named, local);
    assert.equal(o.NetworkDisabled, true);
    assert.equal(o.HostConfig!.NetworkMode, 'none');
    assert.deepEqual(o.HostConfig!.Binds, ['/srv/course:/course:ro', '/data/etc-hosts/lab-1:/etc/hosts:ro']);
    assert.equal(o.HostConfig!.ExtraHosts, undefined, 'the names are in the hosts file');
    assert.deepEqual(asked, ['lab-1'], "asked for the container's own hostname");
    // With a network the engine's sandbox stays (it writes /etc/hosts and resolv.conf), and nothing is asked.
    o = createOptions(req({ network: 'bridge' }), local);
    assert.equal(o.NetworkDisabled, undefined);
    assert.ok(!(o.HostConfig!.Binds ?? []).some((b) => b.includes('/etc/hosts')));
    assert.equal(asked.length, 1);
    // Without the option (a remote engine, Swarm, the catalogue's CLI): the engine's own network none.
    o = createOptions(req({ network: 'none' }));
    assert.equal(o.NetworkDisabled, undefined);
    assert.deepEqual(o.HostConfig!.ExtraHosts, [`${o.Hostname}:127.0.0.1`]);
    // No hosts file to be had (the driver could not write one): the engine's own network none.
    o = createOptions(req({ network: 'none' }), { hostsFileFor: () => undefined });
    assert.equal(o.NetworkDisabled, undefined);
    assert.deepEqual(o.HostConfig!.ExtraHosts, [`${o.Hostname}:127.0.0.1`]);
    assert.ok(!(o.HostConfig!.Binds ?? []).some((b) => b.includes('/etc/hosts')));
    // The hosts file path goes through the same checks as any mount.
    assert.throws(() => createOptions(req({ network: 'none' }), { hostsFileFor: () => 'relative/path' }), /must be absolute/);
  });

  test('mounts are always read-only binds', () => {
    const h = createOptions(
      req({
        mounts: [
          { source: '/srv/course', target: '/course' },
          { source: '/opt/data', target: '/data' },
        ],
      }),
    ).HostConfig!;
    assert.deepEqual(h.Binds, ['/srv/course:/course:ro', '/opt/data:/data:ro']);
  });

  test('mounts never expose the engine socket or a directory holding it', () => {
    for (const source of [
      '/var/run/docker.sock',
      '/run/docker.sock',
      '/var/run',
      '/var/run/',
      '/run',
      '/var',
      '/',
      '//var//run',
      '/srv/../var/run',
      '/home/x/docker.sock',
      '/run/containerd',
    ]) {
      assert.throws(
        () => createOptions(req({ mounts: [{ source, target: '/x' }] })),
        (e: unknown) => e instanceof IsletError && e.code === 'CONFIG_FORBIDDEN',
        source,
      );
    }
    assert.doesNotThrow(() =>
      createOptions(
        req({
          mounts: [
            { source: '/var/lib/course', target: '/x' },
            { source: '/srv/runbook', target: '/y' },
          ],
        }),
      ),
    );
  });

  test('mount paths that would break the bind syntax are refused', () => {
    for (const m of [
      { source: '/a:b', target: '/x' },
      { source: '/a', target: '/x:rw' },
      { source: '/a,b', target: '/x' },
    ]) {
      assert.throws(
        () => createOptions(req({ mounts: [m] })),
        (e: unknown) => e instanceof IsletError && e.code === 'CONFIG_INVALID',
        JSON.stringify(m),
      );
    }
  });

  test('remove_on_exit sets AutoRemove', () => {
    assert.equal(createOptions(req({ remove_on_exit: true })).HostConfig!.AutoRemove, true);
  });

  test('initial TTY size is passed as ConsoleSize [rows, cols]', () => {
    assert.deepEqual(createOptions(req({}, { tty: { cols: 120, rows: 40 } })).HostConfig!.ConsoleSize, [40, 120]);
    assert.equal(createOptions(req()).HostConfig!.ConsoleSize, undefined);
  });

  test('never privileged, never the docker socket, whatever the environment', () => {
    const o = createOptions(req({ cap_add: ['ALL'], cap_drop: [], no_new_privileges: false, network: 'bridge', mounts: [{ source: '/srv', target: '/srv' }] }));
    assert.equal(o.HostConfig!.Privileged, false);
    assert.ok(!JSON.stringify(o).includes('docker.sock'));
    for (const b of o.HostConfig!.Binds ?? []) assert.match(b, /:ro$/);
  });

  test('is pure: same input, same output; the input is not modified', () => {
    const r = req({ env: { A: '1' }, cap_add: ['CHOWN'], mounts: [{ source: '/srv', target: '/srv' }] }, { labels: { a: 'b' } });
    const before = JSON.stringify(r);
    assert.deepEqual(createOptions(r), createOptions(r));
    const o = createOptions(r);
    o.HostConfig!.CapAdd!.push('SYS_ADMIN');
    o.Labels!['x'] = 'y';
    assert.equal(JSON.stringify(r), before);
  });
});
