/**
 * `islet instructor add|remove|list` through the real bin/islet: the password from stdin (scripts) or asked
 * twice on a terminal (a real pty made by util-linux `script`), never echoed when typed at the prompt; the hash
 * lands in islet.yaml with the rest of the file kept, and verifies against the password; mismatched or short
 * passwords change nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { verifyPassword } from '../../src/accounts/password.ts';
import { ConfigSource } from '../../src/config/config-source.ts';
import { repoRoot } from '../helpers/islet-process.ts';

const islet = join(repoRoot, 'bin/islet');

function run(args: string[], input?: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = execFile(islet, args, { timeout: 60_000 }, (err, out, errOut) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 99) : 0, out, err: errOut }),
    );
    c.stdin!.end(input ?? '');
  });
}

/** Runs the command on a pty; `keys` are typed after each prompt appears (not before). */
function onTty(command: string, keys: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let prompts = 0;
    const timer = setTimeout(() => {
      c.kill('SIGKILL');
      reject(new Error(`timed out: ${JSON.stringify(out)}`));
    }, 60_000);
    c.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const seen = (out.match(/Password: |Again: /g) ?? []).length;
      while (prompts < seen && prompts < keys.length) c.stdin.write(keys[prompts++]!);
    });
    c.on('close', () => {
      clearTimeout(timer);
      c.stdin.end();
      resolve(out);
    });
  });
}

test('from stdin: the hash is written, the rest of islet.yaml and its mode kept; list and remove', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'instructor-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'islet.yaml');
  writeFileSync(file, '# the room\ninstance: room7 # ours\ndays: 2\n');
  chmodSync(file, 0o640);
  const r = await run(['instructor', 'add', 'ada', '--config', dir], 'correct horse\n');
  assert.equal(r.code, 0, r.err);
  assert.doesNotMatch(r.out + r.err, /correct horse/);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^# the room\ninstance: room7 # ours\ndays: 2\n/);
  assert.equal(statSync(file).mode & 0o777, 0o640);
  const [entry] = parse(text).instructors;
  assert.equal(entry.name, 'ada');
  assert.equal(await verifyPassword('correct horse', entry.password_hash), true);
  assert.equal(await verifyPassword('wrong horse', entry.password_hash), false);
  assert.deepEqual(
    new ConfigSource(dir).current().global.instructors.map((i) => i.name),
    ['ada'],
  );
  assert.equal((await run(['instructor', 'list', '--config', dir])).out, 'ada\n');
  const short = await run(['instructor', 'add', 'bob', '--config', dir], 'short\n');
  assert.equal(short.code, 3);
  assert.match(short.err, /at least 8 characters/);
  assert.equal((await run(['instructor', 'remove', 'ada', '--config', dir])).code, 0);
  assert.equal(parse(readFileSync(file, 'utf8')).instructors.length, 0);
  assert.equal((await run(['instructor', 'remove', 'ada', '--config', dir])).code, 1);
});

test('on a terminal: asked twice, not echoed; two different passwords change nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'instructor-tty-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cmd = `${islet} instructor add bob --config ${dir}`;
  const out = await onTty(cmd, ['tty-secret-1\r', 'tty-secret-1\r']);
  assert.match(out, /Password: [\s\S]*Again: [\s\S]*instructor bob can log in/);
  assert.doesNotMatch(out, /tty-secret-1/, 'the password is not echoed');
  const [entry] = parse(readFileSync(join(dir, 'islet.yaml'), 'utf8')).instructors;
  assert.equal(await verifyPassword('tty-secret-1', entry.password_hash), true);
  const differ = await onTty(cmd, ['tty-secret-2\r', 'tty-secret-3\r']);
  assert.match(differ, /the two passwords differ/);
  // Control: the first password still stands.
  const [still] = parse(readFileSync(join(dir, 'islet.yaml'), 'utf8')).instructors;
  assert.equal(still.password_hash, entry.password_hash);
});
