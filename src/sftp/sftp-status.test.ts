import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IsletError } from '../core/islet-error.ts';
import { SftpStatusError, STATUS, statusFromStderr, toStatus } from './sftp-status.ts';

test('missing files are NO_SUCH_FILE, in the wording of stat, unlink, dd and ash', () => {
  for (const line of [
    "stat: can't stat '/x': No such file or directory",
    "unlink: can't remove file '/x': No such file or directory",
    "dd: can't open '/a/b': Not a directory",
    "sh: line 0: can't create /nope/x: nonexistent directory",
    "sh: can't open /nope: no such file",
  ])
    assert.equal(statusFromStderr(line).code, STATUS.NO_SUCH_FILE, line);
  assert.equal(statusFromStderr("sh: line 0: can't create /nope/x: nonexistent directory").message, "can't create /nope/x: No such file or directory");
});

test('EACCES and EPERM are PERMISSION_DENIED', () => {
  const e = statusFromStderr("sh: can't create /x: Permission denied\n");
  assert.equal(e.code, STATUS.PERMISSION_DENIED);
  assert.equal(e.message, "can't create /x: Permission denied");
  assert.equal(statusFromStderr('chown: /home/student/f: Operation not permitted').code, STATUS.PERMISSION_DENIED);
});

test('anything else is FAILURE with the first line as message, control characters masked', () => {
  const e = statusFromStderr("\nmkdir: can't create directory '/tmp/a\u001b[31m': File exists\nmore\n");
  assert.equal(e.code, STATUS.FAILURE);
  assert.equal(e.message, "can't create directory '/tmp/a?[31m': File exists");
  assert.equal(statusFromStderr('').message, 'Operation failed');
});

test('toStatus keeps statuses, shows IsletError user messages, hides other errors', () => {
  const s = new SftpStatusError(STATUS.NO_SUCH_FILE, 'x');
  assert.equal(toStatus(s), s);
  const i = toStatus(new IsletError('ENV_NOT_FOUND', 'There is no environment named x.', 'admin detail'));
  assert.deepEqual([i.code, i.message], [STATUS.FAILURE, 'There is no environment named x.']);
  const o = toStatus(new Error('/var/run/docker.sock ECONNREFUSED'));
  assert.equal(o.code, STATUS.FAILURE);
  assert.doesNotMatch(o.message, /docker/);
});
