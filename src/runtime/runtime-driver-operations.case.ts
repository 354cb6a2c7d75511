/**
 * The RuntimeDriver conformance cases for the operations beyond an instance's life: exec, rename, archives in
 * and out, networks, disk and CPU usage, CPU weight. A backend that lacks one says so (`unsupported`) and the case
 * asserts its RUNTIME_UNSUPPORTED refusal instead; a backend without an optional method (usage, setCpuWeight) has
 * that case skipped. Registered by `runtimeDriverConformance` (runtime-driver.case.ts) inside its
 * `describe`, which creates the driver and removes every instance afterwards.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { IsletError } from '../core/islet-error.ts';
import { collect, tarOf, untar } from './conformance-io.ts';
import type { ConformanceKit } from './runtime-driver.case.ts';

export function operationCases(kit: ConformanceKit): void {
  const { environment, labels, nameFor, launch, run, lacks, isFailed, user } = kit;

  test('exec: streams apart, exit status, stdin, user/env/workdir; a TTY merges the streams; a signal ends it', async (t: TestContext) => {
    if (await lacks('exec', t, () => kit.driver.exec(nameFor('never-created'), { cmd: ['true'] }))) return;
    const { info, att } = await launch('exec', { user });
    const a = await collect(await kit.driver.exec(info.id, { cmd: ['sh', '-c', 'echo out-$((2*3)); echo err-$((3*3)) >&2; exit 4'] }));
    assert.deepEqual(a, { code: 4, out: 'out-6\n', err: 'err-9\n' });
    assert.deepEqual(await collect(await kit.driver.exec(info.id, { cmd: ['cat'] }), 'piped-in'), { code: 0, out: 'piped-in', err: '' });
    const asRoot = { user: 'root', env: { CASE_VAR: 'v 1' }, workdir: '/tmp' };
    const c = await collect(await kit.driver.exec(info.id, { cmd: ['sh', '-c', 'echo "$(id -un) $CASE_VAR $(pwd)"'], ...asRoot }));
    assert.equal(c.out, 'root v 1 /tmp\n');
    assert.equal((await collect(await kit.driver.exec(info.id, { cmd: ['sh', '-c', 'id -un'] }))).out, `${user}\n`, 'the instance user by default');
    const d = await collect(await kit.driver.exec(info.id, { cmd: ['sh', '-c', 'echo tty-$((4*4)) >&2'], tty: { cols: 80, rows: 24 } }), null);
    assert.match(d.out, /tty-16\r?\n/);
    assert.equal(d.err, '');
    const sleeper = await kit.driver.exec(info.id, { cmd: ['sleep', '1000'] });
    let code: number | undefined;
    void sleeper.exited.then((c) => {
      code = c;
    });
    for (let i = 0; i < 40 && code === undefined; i++) {
      await sleeper.signal('SIGKILL');
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(code !== undefined && code !== 0, `a killed process ends with a failure status (got ${code})`);
    att.detach();
    const created = await kit.driver.create({ name: nameFor('exec-created'), env: environment(), labels: labels('exec-created') });
    await assert.rejects(kit.driver.exec(created.id, { cmd: ['true'] }), isFailed, 'no exec in an instance that does not run');
    await assert.rejects(kit.driver.exec(nameFor('never-created'), { cmd: ['true'] }), isFailed);
  });

  test('rename: the instance answers to its new name only, keeps its id and labels; a taken name is refused', async (t: TestContext) => {
    if (await lacks('rename', t, () => kit.driver.rename(nameFor('never-created'), nameFor('x')))) return;
    const info = await kit.driver.create({ name: nameFor('rename'), env: environment(), labels: labels('rename') });
    await kit.driver.create({ name: nameFor('rename-taken'), env: environment(), labels: labels('rename') });
    await kit.driver.rename(info.id, nameFor('renamed'));
    const got = await kit.driver.inspect(nameFor('renamed'));
    assert.equal(got?.id, info.id);
    assert.equal(got?.labels[kit.labelKeys.case], 'rename');
    assert.equal(await kit.driver.inspect(nameFor('rename')), undefined);
    await assert.rejects(kit.driver.rename(info.id, nameFor('rename-taken')), (e) => isFailed(e) && (e as IsletError).detail.statusCode === 409);
    assert.equal((await kit.driver.inspect(info.id))?.name, nameFor('renamed'), 'a refused rename changes nothing');
    await assert.rejects(kit.driver.rename(nameFor('never-created'), nameFor('renamed-ghost')), isFailed);
  });

  test('putArchive/getArchive: files go in with their owner and are seen by the shell; files the shell wrote come out', async (t: TestContext) => {
    const noPut = await lacks('putArchive', t, () => kit.driver.putArchive(nameFor('never-created'), '/tmp', Buffer.alloc(1024)));
    if ((await lacks('getArchive', t, () => kit.driver.getArchive(nameFor('never-created'), '/tmp'))) || noPut) return;
    const { info, att, screen } = await launch('archive', { user });
    await kit.driver.putArchive(
      info.id,
      '/tmp',
      await tarOf([
        { name: 'conf-put/', uid: 1000 },
        { name: 'conf-put/a.txt', body: 'archive-42\n', uid: 1000 },
      ]),
    );
    await run(att, screen, 'cat /tmp/conf-put/a.txt && echo read-$((1+2))', /archive-42\s+read-3/);
    const file = await untar(await kit.driver.getArchive(info.id, '/tmp/conf-put/a.txt'));
    assert.deepEqual([...file.keys()], ['a.txt'], 'an archive of a file is named by its last segment');
    assert.deepEqual(file.get('a.txt'), { body: 'archive-42\n', uid: 1000 });
    const dir = await untar(await kit.driver.getArchive(info.id, '/tmp/conf-put'));
    assert.deepEqual([...dir.keys()].sort(), ['conf-put', 'conf-put/a.txt']);
    await run(att, screen, 'echo shell-$((5*5)) > /tmp/from-shell && echo wrote-$((1+1))', /wrote-2/);
    assert.equal((await untar(await kit.driver.getArchive(info.id, '/tmp/from-shell'))).get('from-shell')?.body, 'shell-25\n');
    att.detach();
    await assert.rejects(kit.driver.putArchive(info.id, '/no/such/dir', await tarOf([{ name: 'x', body: 'x' }])), isFailed);
    await assert.rejects(kit.driver.getArchive(info.id, '/no/such/file'), isFailed);
    await assert.rejects(kit.driver.getArchive(nameFor('never-created'), '/tmp'), isFailed);
  });

  test('ensureNetwork: idempotent, also from another driver; it reports CIDR subnets and instances join it', async (t: TestContext) => {
    const net = `islet-conf-${kit.suite}`;
    const netLabels = { ...kit.baseLabels, [kit.labelKeys.suite]: kit.suite };
    if (await lacks('ensureNetwork', t, () => kit.driver.ensureNetwork(net, netLabels))) return;
    const a = await kit.driver.ensureNetwork(net, netLabels);
    assert.ok(a.subnets.length > 0 && a.subnets.every((s) => /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(s)), JSON.stringify(a.subnets));
    assert.deepEqual((await kit.driver.ensureNetwork(net, netLabels)).subnets, a.subnets);
    assert.deepEqual((await kit.makeDriver().ensureNetwork(net, netLabels)).subnets, a.subnets, 'another process sees the same network');
    const info = await kit.driver.create({ name: nameFor('network'), env: environment({ network: 'bridge' }), labels: labels('network'), network: net });
    await kit.driver.start(info.id);
    assert.equal((await kit.driver.inspect(info.id))?.state, 'running');
    await kit.driver.remove(info.id);
  });

  test('diskUsage counts what the instance writes; undefined for a missing instance', async (t: TestContext) => {
    if (await lacks('diskUsage', t, () => kit.driver.diskUsage(nameFor('never-created')))) return;
    const { info, att, screen } = await launch('disk', { user });
    const before = await kit.driver.diskUsage(info.id);
    assert.equal(typeof before, 'number');
    await run(att, screen, 'dd if=/dev/zero of=/tmp/conf-disk bs=1M count=3 2>/dev/null; echo dd-$((1+1))', /dd-2/);
    const after = await kit.driver.diskUsage(info.id);
    assert.ok(after! - before! >= 3 * 1024 * 1024, `grew by ${after! - before!} bytes`);
    att.detach();
    assert.equal(await kit.driver.diskUsage(nameFor('never-created')), undefined);
  });

  test('cpuTime grows while the instance works; undefined once it stopped or when it is missing', async (t: TestContext) => {
    if (await lacks('cpuTime', t, () => kit.driver.cpuTime(nameFor('never-created')))) return;
    const { info, att, screen } = await launch('cpu');
    const t0 = await kit.driver.cpuTime(info.id);
    assert.ok(typeof t0 === 'number' && t0 > 0, `a running instance has used some CPU (got ${t0})`);
    await run(att, screen, 'ps >/dev/null; ps >/dev/null; ps >/dev/null; echo spun-$((2+2))', /spun-4/);
    const t1 = await kit.driver.cpuTime(info.id);
    assert.ok(typeof t1 === 'number' && t1 > t0, `${t1} > ${t0}`);
    att.detach();
    await kit.driver.stop(info.id, 0);
    assert.equal(await kit.driver.cpuTime(info.id), undefined);
    assert.equal(await kit.driver.cpuTime(nameFor('never-created')), undefined);
  });

  test('usage (optional): CPU time and memory of a running instance; undefined once it stopped or when it is missing', async (t: TestContext) => {
    if (!kit.driver.usage) {
      t.skip('this driver has no usage(): the console samples cpuTime');
      return;
    }
    // The same engine stats as cpuTime: a driver lacking cpuTime refuses usage the same way.
    const usage = kit.driver.usage.bind(kit.driver);
    if (await lacks('cpuTime', t, () => usage(nameFor('never-created')))) return;
    const { info, att, screen } = await launch('usage');
    await run(att, screen, 'ps >/dev/null; ps >/dev/null; echo used-$((3+3))', /used-6/);
    const u = await kit.driver.usage(info.id);
    assert.ok(u && u.cpuNs > 0, `CPU time of a running instance (got ${JSON.stringify(u)})`);
    assert.ok(u.memoryBytes > 0, `memory of a running instance (got ${u.memoryBytes})`);
    att.detach();
    await kit.driver.stop(info.id, 0);
    assert.equal(await kit.driver.usage(info.id), undefined);
    assert.equal(await kit.driver.usage(nameFor('never-created')), undefined);
  });

  test('groupCpuTime (optional): the group holds the instances run in it and grows by at least what each used', async (t: TestContext) => {
    const groupCpuTime = kit.driver.groupCpuTime?.bind(kit.driver);
    if (!groupCpuTime) {
      t.skip('this driver has no groupCpuTime(): the CPU-weight governor reads every instance each tick');
      return;
    }
    if (await lacks('cpuTime', t, () => kit.driver.cpuTime(nameFor('never-created')))) {
      assert.equal(await groupCpuTime(), undefined, 'no CPU readings: no group to bound them either');
      return;
    }
    const { info, att, screen } = await launch('group');
    // Read in nested order (group, instance, work, instance, group): the group's span covers the instance's.
    const g0 = await groupCpuTime();
    const c0 = await kit.driver.cpuTime(info.id); // holds() answers for instances cpuTime() has read
    await run(att, screen, 'ps >/dev/null; ps >/dev/null; ps >/dev/null; echo grouped-$((2+5))', /grouped-7/);
    const c1 = await kit.driver.cpuTime(info.id);
    const g1 = await groupCpuTime();
    assert.ok(c0 !== undefined && c1 !== undefined && c1 > c0, `control: the instance used CPU (${c0} then ${c1})`);
    if (!kit.grouped) {
      assert.equal(g1?.holds(info.id) ?? false, false, 'an instance outside the group is not counted in it');
    } else {
      assert.ok(g0 && g1, 'a group to read');
      assert.equal(g1.holds(info.id), true, 'the group holds the instance');
      assert.ok(g1.cpuNs - g0.cpuNs >= c1 - c0, `the group grew by ${g1.cpuNs - g0.cpuNs} ns, the instance by ${c1 - c0}`);
      assert.equal(g1.holds(nameFor('never-created')), false, 'nor anything else');
    }
    att.detach();
  });

  test('setCpuWeight (optional): true for a running instance, false once it stopped and when it is missing', async (t: TestContext) => {
    if (!kit.driver.setCpuWeight) {
      t.skip('this driver has no setCpuWeight(): busy containers keep their weight (src/lifecycle/cpu-weight-governor.ts)');
      return;
    }
    const { info, att } = await launch('weight');
    assert.equal(await kit.driver.setCpuWeight(info.id, 64), true, 'a running instance takes a weight');
    assert.equal(await kit.driver.setCpuWeight(info.id, 1024), true, 'and its own back');
    att.detach();
    await kit.driver.stop(info.id, 0);
    assert.equal(await kit.driver.setCpuWeight(info.id, 64), false, 'a stopped instance has no weight to set');
    const ghost = (await kit.driver.inspect(info.id))!.id.replace(/^./, (c) => (c === 'f' ? 'e' : 'f'));
    assert.equal(await kit.driver.setCpuWeight(ghost, 64), false, 'nor one that never existed');
  });
}
