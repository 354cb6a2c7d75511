import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setstatArgs, toAttributes } from './sftp-attrs.ts';

test('SETSTAT arguments: only what the client sent, modes in octal, owner as uid:gid', () => {
  assert.equal(setstatArgs('/f', {}), undefined);
  assert.equal(setstatArgs('/f', { mode: undefined, size: undefined }), undefined);
  assert.deepEqual(setstatArgs('/f', { mode: 0o100640 }), ['/f', '', '640', '', '', '']);
  assert.deepEqual(setstatArgs('/f', { size: 10, uid: 0, gid: 5, atime: 1000, mtime: 2000 }), ['/f', '10', '', '0:5', '1000', '2000']);
  assert.deepEqual(setstatArgs('/f', { uid: 7 }), undefined, 'an owner needs both ids');
  assert.deepEqual(setstatArgs('/f', { mode: 0o4755 }), ['/f', '', '4755', '', '', '']);
  assert.equal(setstatArgs('/f', { size: -1, mode: Number.NaN }), undefined, 'nonsense is ignored');
});

test('attributes for replies carry every field', () => {
  assert.deepEqual(toAttributes({ mode: 0o100644, uid: 1000, gid: 1000, size: 5, atime: 1, mtime: 2 }), {
    mode: 0o100644,
    uid: 1000,
    gid: 1000,
    size: 5,
    atime: 1,
    mtime: 2,
  });
});
