import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolvePath } from './sftp-paths.ts';
import { SftpStatusError, STATUS } from './sftp-status.ts';

test('relative paths start at home; . and empty are home', () => {
  assert.equal(resolvePath('/home/student', '.'), '/home/student');
  assert.equal(resolvePath('/home/student', ''), '/home/student');
  assert.equal(resolvePath('/home/student', 'a/b.txt'), '/home/student/a/b.txt');
  assert.equal(resolvePath('/home/student', './a/../b'), '/home/student/b');
  assert.equal(resolvePath('/home/student', '..'), '/home');
});

test('absolute paths are normalised, never above /', () => {
  assert.equal(resolvePath('/home/student', '/etc//passwd'), '/etc/passwd');
  assert.equal(resolvePath('/home/student', '/../../etc'), '/etc');
  assert.equal(resolvePath('/home/student', '../../../..'), '/');
  assert.equal(resolvePath('/home/student', '/tmp/dir/'), '/tmp/dir');
});

test('every result is absolute, so no path can pass for an option', () => {
  for (const p of ['-rf', '--help', 'if=/etc/shadow', '-']) assert.ok(resolvePath('/w', p).startsWith('/w/'), p);
  assert.equal(resolvePath('relative-home', 'x'), '/relative-home/x');
});

test('a NUL byte is refused', () => {
  assert.throws(
    () => resolvePath('/home/student', 'a\0b'),
    (e: unknown) => e instanceof SftpStatusError && e.code === STATUS.NO_SUCH_FILE,
  );
});
