/**
 * A legacy environment never weakens ISLET's defaults, seen from inside the
 * trainee's container (issue 9 item 1): real `islet serve`, real engine, the
 * ssh2 client for the menu and for direct exec (`alice+<env>` with her
 * password), reading /proc/self/status and the shell's ulimits.
 *
 * Each server runs two environments in the original `.conf` syntax that name
 * one setting (CAP_NET_RAW="no", ULIMIT_NOFILE="256:512") and a control
 * environment that lifts each restriction (CAP_NET_RAW="yes",
 * --security-opt no-new-privileges=false, ULIMIT_FSIZE="unlimited"), so the
 * probe is shown to see a non-zero CapBnd, NoNewPrivs 0 and no file-size
 * limit when they are there. Once without the original's modules/docker.conf
 * and islet.conf, once beside them.
 *
 * nofile is read twice: from the container's main process (/proc/1/limits,
 * set by the engine at create: exactly soft:hard) and from the exec'd probe,
 * where only the hard limit is exact. Debian's runc 1.1.5 races the Go
 * runtime's start-up raise of the soft limit to the hard one in `runc exec`
 * (opencontainers/runc#4195, fixed by #4266): some machines always win it,
 * others always lose it. The hard limit, the one that bounds a trainee, holds
 * either way.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'ssh2';
import { IsletProcess, repoRoot } from '../helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { gateSsh, newAccountSsh } from '../helpers/ssh-journey.ts';
import { readFixture } from '../../src/config/legacy/fixtures/chain.ts';

const envFile = (extra: string) =>
  `ENVIRONMENT="islet/demo:latest"\nDESCRIPTION="legacy defaults probe"\nENABLE="yes"\nVIRTUSER="student"\nCOMMAND="/bin/sh -l"\n${extra}\n`;

/** `ulimit -f` of 1 GiB: 1048576 1024-byte blocks (bash) or 2097152 512-byte blocks (busybox sh, the demo image). */
const ONE_GIB_BLOCKS = ['1048576', '2097152'];
/** CAP_NET_RAW is bit 13. */
const NET_RAW = 1n << 13n;

const PROBE = [
  'grep -E "^(CapBnd|CapEff|NoNewPrivs):" /proc/self/status',
  'echo "fsize=$(ulimit -f)"',
  'echo "nofile=$(ulimit -Sn):$(ulimit -Hn)"',
  'echo "init $(grep "^Max open files" /proc/1/limits)"',
  'id -un',
].join('; ');

interface Probe {
  capBnd: bigint;
  capEff: bigint;
  noNewPrivs: string;
  fsize: string;
  /** The exec'd probe's nofile soft and hard limit. */
  nofile: { soft: string; hard: string };
  /** The container's main process's nofile limits, "soft:hard". */
  initNofile: string;
  user: string;
}

function parse(out: string): Probe {
  const field = (re: RegExp) => {
    const m = re.exec(out);
    assert.ok(m, `probe output has ${re}: ${JSON.stringify(out)}`);
    return m[1]!;
  };
  return {
    capBnd: BigInt(`0x${field(/^CapBnd:\s*([0-9a-f]{16})$/m)}`),
    capEff: BigInt(`0x${field(/^CapEff:\s*([0-9a-f]{16})$/m)}`),
    noNewPrivs: field(/^NoNewPrivs:\s*(\d)$/m),
    fsize: field(/^fsize=(\S+)$/m),
    nofile: { soft: field(/^nofile=(\S+):\S+$/m), hard: field(/^nofile=\S+:(\S+)$/m) },
    initNofile: field(/^init Max open files\s+(\d+\s+\d+)\s+files\s*$/m).replace(/\s+/, ':'),
    user: field(/^(student)$/m),
  };
}

/** `ssh alice+<env>@host '<cmd>'` with her password over the ssh2 client: stdout, stderr, exit code. */
async function directExec(port: number, user: string, password: string, cmd: string): Promise<{ code: number; out: string; err: string }> {
  const c = new Client();
  try {
    await new Promise<void>((res, rej) =>
      c
        .once('ready', () => res())
        .once('error', rej)
        .connect({ host: '127.0.0.1', port, username: user, password, readyTimeout: 60_000, hostVerifier: () => true }),
    );
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${user}: ${cmd}: no exit within 120 s`)), 120_000);
      c.exec(cmd, (err, ch) => {
        if (err) {
          clearTimeout(timer);
          reject(err);
          return;
        }
        let out = '',
          e = '';
        ch.on('data', (b: Buffer) => {
          out += b;
        });
        ch.stderr.on('data', (b: Buffer) => {
          e += b;
        });
        ch.on('exit', (code: number | null) => {
          ch.on('close', () => {
            clearTimeout(timer);
            resolve({ code: code ?? -1, out, err: e });
          });
        });
      });
    });
  } finally {
    c.end();
  }
}

for (const withModule of [false, true]) {
  describe(`legacy environments ${withModule ? 'beside the original islet.conf and modules/docker.conf' : 'without a module file'} keep ISLET's defaults inside the container`, {
    concurrency: false,
  }, () => {
    const runId = testRunId();
    const islet = new IsletProcess(runId, { configFrom: join(repoRoot, 'examples') });
    const password = 'trainee1';
    const probe = async (env: string): Promise<Probe> => {
      const r = await directExec(islet.port, `alice+${env}`, password, PROBE);
      assert.equal(r.code, 0, `probe in ${env} exits 0: ${r.err}`);
      return parse(r.out);
    };

    before(async () => {
      const dir = islet.configDir;
      mkdirSync(join(dir, 'modules'), { recursive: true });
      if (withModule) {
        writeFileSync(join(dir, 'islet.conf'), readFixture('islet.conf'));
        writeFileSync(join(dir, 'modules/docker.conf'), readFixture('modules/docker.conf'));
      }
      writeFileSync(join(dir, 'environments/noraw.conf'), envFile('CAP_NET_RAW="no"'));
      writeFileSync(join(dir, 'environments/fewfiles.conf'), envFile('ULIMIT_NOFILE="256:512"'));
      writeFileSync(
        join(dir, 'environments/control.conf'),
        envFile('CAP_NET_RAW="yes"\nLOCAL_OPTIONS="--security-opt no-new-privileges=false"\nULIMIT_FSIZE="unlimited"'),
      );
      await islet.start();
      const { t } = await gateSsh(islet.port);
      await newAccountSsh(t, 'alice', password);
      t.end();
    });
    after(async () => {
      await islet.dispose();
      await sweepTestContainers(runId);
    });

    test('control: the probe sees a capability, privilege gain allowed and no file-size limit when the environment asks for them', async () => {
      const p = await probe('control');
      assert.equal(p.capBnd, NET_RAW, `CapBnd is exactly NET_RAW: ${p.capBnd.toString(16)}`);
      assert.equal(p.noNewPrivs, '0');
      assert.equal(p.fsize, 'unlimited');
      assert.equal(p.user, 'student');
    });

    test('CAP_NET_RAW="no": no capability at all (not Docker\'s default set), NoNewPrivs 1, 1 GiB file-size limit', async () => {
      const p = await probe('noraw');
      assert.equal(p.capBnd, 0n, `CapBnd 0, got ${p.capBnd.toString(16)}`);
      assert.equal(p.capEff, 0n);
      assert.equal(p.noNewPrivs, '1');
      assert.ok(ONE_GIB_BLOCKS.includes(p.fsize), `ulimit -f is 1 GiB, got ${p.fsize}`);
      assert.equal(p.initNofile, '1024:2048', 'the default nofile limits of the main process');
      assert.equal(p.nofile.hard, '2048', 'the default nofile hard limit of an exec');
      assert.ok(['1024', '2048'].includes(p.nofile.soft), `an exec's soft limit is the default or, on runc < 1.1.13, raised to the hard one: ${p.nofile.soft}`);
    });

    test('ULIMIT_NOFILE="256:512": that limit only; fsize keeps 1 GiB, no capability, NoNewPrivs 1', async () => {
      const p = await probe('fewfiles');
      assert.equal(p.initNofile, '256:512');
      assert.equal(p.nofile.hard, '512');
      assert.ok(['256', '512'].includes(p.nofile.soft), `an exec's soft limit: ${p.nofile.soft}`);
      assert.ok(ONE_GIB_BLOCKS.includes(p.fsize), `ulimit -f is 1 GiB, got ${p.fsize}`);
      assert.equal(p.capBnd, 0n, `CapBnd 0, got ${p.capBnd.toString(16)}`);
      assert.equal(p.noNewPrivs, '1');
    });
  });
}
