import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { checkFile, importsOf } from './check-imports.ts';
import { checkStyle } from './check-style.ts';

const rulesOf = (file: string, text: string) => checkFile(file, text).map((v) => v.rule);

test('imports are found in every form, with their line and resolved path', () => {
  const text = "import a from '../core/x.ts';\nimport type {\n  B,\n} from './y.ts';\nexport { c } from 'ssh2';\nconst d = await import('../store/z.ts');\n";
  assert.deepEqual(importsOf('src/sessions/s.ts', text), [
    { spec: '../core/x.ts', target: 'src/core/x.ts', line: 1 },
    { spec: './y.ts', target: 'src/sessions/y.ts', line: 2 },
    { spec: 'ssh2', line: 5 },
    { spec: '../store/z.ts', target: 'src/store/z.ts', line: 6 },
  ]);
});

test('core/ imports nothing of ISLET (control: its own folder and node: modules pass)', () => {
  assert.deepEqual(rulesOf('src/core/codes.ts', "import { x } from '../config/schema.ts';"), ['core-imports-nothing']);
  assert.deepEqual(rulesOf('src/core/codes.ts', "import { x } from './islet-error.ts';\nimport { y } from 'node:fs';"), []);
});

test('nothing below the SSH door imports ssh2 (control: sshd/ may)', () => {
  assert.deepEqual(rulesOf('src/sessions/authenticator.ts', "import ssh2 from 'ssh2';"), ['ssh2-only-in-the-ssh-door']);
  assert.deepEqual(rulesOf('src/accounts/public-keys.test.ts', "import type { ParsedKey } from 'ssh2';"), ['ssh2-only-in-the-ssh-door']);
  assert.deepEqual(rulesOf('src/sshd/public-keys.ts', "import ssh2 from 'ssh2';"), []);
});

test('runtime/ and store/ import no session code (control: core/ and config/ pass)', () => {
  assert.deepEqual(rulesOf('src/runtime/docker/docker-driver.ts', "import { x } from '../../sessions/warm-pool.ts';"), ['runtime-store-no-session-code']);
  assert.deepEqual(rulesOf('src/store/sqlite-store.ts', "import { x } from '../lifecycle/policy.ts';"), ['runtime-store-no-session-code']);
  assert.deepEqual(
    rulesOf('src/runtime/docker/docker-driver.ts', "import { x } from '../../core/islet-error.ts';\nimport { y } from '../../config/schema.ts';"),
    [],
  );
});

test("front doors use only the session engine's public face (control: sessions/index.ts passes; a test may assemble anything)", () => {
  assert.deepEqual(rulesOf('src/web/web-server.ts', "import type { X } from '../sessions/menu-session.ts';"), ['doors-use-the-session-face']);
  assert.deepEqual(rulesOf('src/sshd/ssh-server.ts', "import { X } from '../runtime/runtime-driver.ts';"), ['doors-use-the-session-face']);
  assert.deepEqual(rulesOf('src/sshd/ssh-server.ts', "import type { X } from '../sessions/index.ts';\nimport { y } from '../sftp/sftp-session.ts';"), []);
  assert.deepEqual(rulesOf('src/web/web-server.ts', "import { y } from '../sftp/sftp-session.ts';"), ['doors-use-the-session-face']);
  assert.deepEqual(rulesOf('src/sshd/ssh-server.test.ts', "import { X } from '../sessions/menu-session.ts';"), []);
});

test('style: lines over 160 characters beyond the baseline and eslint-disable comments fail (control: 160 passes)', () => {
  const ok = `${'x'.repeat(160)}\n${'—'.repeat(160)}\n`;
  assert.deepEqual(checkStyle('a.ts', ok), []);
  assert.deepEqual(
    checkStyle('a.ts', `${'x'.repeat(161)}\n`).map((v) => v.rule),
    ['max-line-length'],
  );
  assert.deepEqual(checkStyle('a.ts', `${'x'.repeat(161)}\n`, 1), []);
  assert.deepEqual(
    checkStyle('a.ts', `  // ${'eslint'}-disable-next-line no-control-regex\n`).map((v) => v.rule),
    ['no-eslint-disable'],
  );
});

test('npm run lint fails on a deliberately wrong import in a copy of the tree, and names it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-lint-'));
  try {
    mkdirSync(join(dir, 'scripts'));
    mkdirSync(join(dir, 'src/sessions'), { recursive: true });
    for (const f of ['lint.ts', 'check-imports.ts', 'check-style.ts'])
      writeFileSync(join(dir, 'scripts', f), execFileSync('cat', [join(import.meta.dirname, f)]));
    execFileSync('git', ['init', '-q'], { cwd: dir });
    writeFileSync(join(dir, 'src/sessions/ok.ts'), "import { x } from '../core/y.ts';\nexport const z = x;\n");
    const run = () =>
      execFileSync(process.execPath, ['--disable-warning=ExperimentalWarning', 'scripts/lint.ts'], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
    assert.match(run(), /0 violations/);
    writeFileSync(join(dir, 'src/sessions/bad.ts'), "import ssh2 from 'ssh2';\nexport const z = ssh2;\n");
    assert.throws(run, (e: { status: number; stderr: string }) => e.status === 1 && /src\/sessions\/bad\.ts:1 ssh2-only-in-the-ssh-door/.test(e.stderr));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
