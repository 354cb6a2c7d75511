import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { codesReference } from './codes-reference.ts';
import { configReference } from '../config/config-reference.ts';

const read = (p: string) => readFileSync(new URL(`../../docs/${p}`, import.meta.url), 'utf8');

test('docs/config-reference.md is generated from the schema and up to date (npm run docs)', () => {
  assert.equal(read('config-reference.md'), configReference());
});

test('docs/codes.md lists every error code (npm run docs)', () => {
  assert.equal(read('codes.md'), codesReference());
});
