import { test } from 'node:test';
import assert from 'node:assert/strict';
import { longName, modeString, parseStatRecords, STAT_FORMAT } from './stat-format.ts';

test('STAT_FORMAT puts the path last, after fields without spaces', () => {
  assert.equal(STAT_FORMAT, '%f %s %u %g %X %Y %h %U %G %n');
});

test('parses one record into SFTP attributes', () => {
  const [r, ...rest] = parseStatRecords('81a4 5000 1000 1000 1700000000 1700000100 1 student student /home/student/a.txt\n');
  assert.equal(rest.length, 0);
  assert.deepEqual(r, {
    path: '/home/student/a.txt',
    name: 'a.txt',
    nlink: 1,
    user: 'student',
    group: 'student',
    attrs: { mode: 0o100644, size: 5000, uid: 1000, gid: 1000, atime: 1700000000, mtime: 1700000100 },
  });
});

test('parses a listing whose names hold spaces, newlines and record-like text', () => {
  const out = [
    '41ed 4096 1000 1000 1 2 2 student student /d/sub dir',
    '81a4 5 1000 1000 3 4 1 student student /d/new\nline',
    // A name that contains a newline followed by something shaped like a record (but no '/').
    '81a4 7 0 0 5 6 1 root root /d/x\n81a4 1 2 3 4 5 6 u g y',
    'a1ff 9 1000 1000 7 8 1 student student /d/link',
    '',
  ].join('\n');
  const recs = parseStatRecords(out);
  assert.deepEqual(
    recs.map((r) => r.name),
    ['sub dir', 'new\nline', 'x\n81a4 1 2 3 4 5 6 u g y', 'link'],
  );
  assert.equal(recs[0]!.attrs.mode, 0o40755);
  assert.equal(recs[2]!.attrs.uid, 0);
  assert.equal(recs[3]!.attrs.mode & 0o170000, 0o120000);
});

test('the root directory and output without a trailing newline', () => {
  const [r] = parseStatRecords('41ed 4096 0 0 1 2 19 root root /');
  assert.equal(r!.name, '/');
  assert.equal(r!.path, '/');
  assert.deepEqual(parseStatRecords(''), []);
  assert.deepEqual(parseStatRecords('stat: garbage\n'), []);
});

test('mode strings like ls -l', () => {
  assert.equal(modeString(0o100644), '-rw-r--r--');
  assert.equal(modeString(0o40755), 'drwxr-xr-x');
  assert.equal(modeString(0o120777), 'lrwxrwxrwx');
  assert.equal(modeString(0o104755), '-rwsr-xr-x');
  assert.equal(modeString(0o102644), '-rw-r-Sr--');
  assert.equal(modeString(0o41777), 'drwxrwxrwt');
  assert.equal(modeString(0o41776), 'drwxrwxrwT');
  assert.equal(modeString(0o20620), 'crw--w----');
  assert.equal(modeString(0o10644), 'prw-r--r--');
  assert.equal(modeString(0o140755), 'srwxr-xr-x');
});

test('long names: time for recent files, year for old or future ones, ids for unknown users', () => {
  const now = Date.UTC(2025, 5, 15, 12, 0, 0) / 1000;
  const base = { name: 'f.txt', nlink: 1, user: 'student', group: 'student' };
  const recent = Date.UTC(2025, 5, 2, 3, 4, 0) / 1000;
  assert.equal(
    longName({ ...base, attrs: { mode: 0o100644, uid: 1000, gid: 1000, size: 1234, atime: 0, mtime: recent } }, now),
    '-rw-r--r--    1 student  student      1234 Jun  2 03:04 f.txt',
  );
  const old = Date.UTC(2020, 0, 31) / 1000;
  assert.equal(
    longName({ ...base, user: 'UNKNOWN', group: 'UNKNOWN', attrs: { mode: 0o40700, uid: 4242, gid: 77, size: 4096, atime: 0, mtime: old } }, now),
    'drwx------    1 4242     77           4096 Jan 31  2020 f.txt',
  );
  assert.match(longName({ ...base, attrs: { mode: 0o100644, uid: 1, gid: 1, size: 1, atime: 0, mtime: now + 86400 } }, now), / Jun 16  2025 f\.txt$/);
});
