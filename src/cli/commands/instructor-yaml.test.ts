import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { globalSchema } from '../../config/schema.ts';
import { withInstructor, withoutInstructor } from './instructor-yaml.ts';

const HASH = 'scrypt$32768$8$1$c2FsdHNhbHRzYWx0c2FsdA==$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U=';

test('adds an instructor and keeps comments, other keys and their order', () => {
  const text = '# my room\ninstance: room1 # the name\ndays: 2\n';
  const out = withInstructor(text, 'ada', HASH);
  assert.match(out, /^# my room\ninstance: room1 # the name\ndays: 2\n/);
  const parsed = parse(out);
  assert.deepEqual(parsed.instructors, [{ name: 'ada', password_hash: HASH }]);
  assert.equal(globalSchema.parse(parsed).instructors[0]!.name, 'ada');
});

test('an empty file becomes a valid config; adding the same name again replaces the hash only', () => {
  const once = withInstructor('', 'ada', HASH);
  const other = HASH.replace('$1$', '$2$');
  const twice = withInstructor(withInstructor(once, 'bob', HASH), 'ada', other);
  assert.deepEqual(parse(twice).instructors, [
    { name: 'ada', password_hash: other },
    { name: 'bob', password_hash: HASH },
  ]);
});

test('removes one instructor; refuses a file that is not a mapping', () => {
  const two = withInstructor(withInstructor('days: 1\n', 'ada', HASH), 'bob', HASH);
  const r = withoutInstructor(two, 'ada');
  assert.equal(r.removed, true);
  assert.deepEqual(
    parse(r.text).instructors.map((i: { name: string }) => i.name),
    ['bob'],
  );
  assert.equal(withoutInstructor(r.text, 'zed').removed, false);
  assert.throws(() => withInstructor('- a\n- b\n', 'ada', HASH), /not a mapping/);
});

test('the schema refuses a plain password, a bad name and duplicates', () => {
  assert.equal(globalSchema.safeParse({ instructors: [{ name: 'ada', password_hash: 'hunter2' }] }).success, false);
  assert.equal(globalSchema.safeParse({ instructors: [{ name: '<b>', password_hash: HASH }] }).success, false);
  assert.equal(
    globalSchema.safeParse({
      instructors: [
        { name: 'ada', password_hash: HASH },
        { name: 'ada', password_hash: HASH },
      ],
    }).success,
    false,
  );
  assert.equal(globalSchema.safeParse({ instructors: [{ name: 'ada', password_hash: HASH }] }).success, true);
});
