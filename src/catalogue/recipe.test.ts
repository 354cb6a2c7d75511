import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containnsmRef, imageName, listRecipes, parseToolRef, readRecipe } from './recipe.ts';

function cat(t: { after: (f: () => void) => void }, files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'islet-recipe-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(d, p, '..'), { recursive: true });
    writeFileSync(join(d, p), text);
  }
  return d;
}

test('recipes are listed per tool, versions sorted as versions; the hash follows the recipe text', (t) => {
  const d = cat(t, {
    'tcpdump/4.10.0/recipe.yaml': 'suite: trixie\npackages: [tcpdump=4.10.0-1]\n',
    'tcpdump/4.9.3/recipe.yaml': 'suite: bookworm\npackages: [tcpdump=4.9.3-1]\ncapabilities:\n  tcpdump: cap_net_raw,cap_net_admin+eip\n',
    'mytool/1.0/Dockerfile': 'FROM islet/base:bookworm\nRUN true\n',
  });
  const all = listRecipes(d);
  assert.deepEqual(
    all.map((r) => `${r.tool}/${r.version}/${r.kind}/${r.suite}`),
    ['mytool/1.0/dockerfile/bookworm', 'tcpdump/4.9.3/yaml/bookworm', 'tcpdump/4.10.0/yaml/trixie'],
  );
  assert.deepEqual(all[1]!.spec!.capabilities, { tcpdump: 'cap_net_raw,cap_net_admin+eip' });
  const before = readRecipe(d, 'tcpdump', '4.9.3').hash;
  writeFileSync(join(d, 'tcpdump/4.9.3/recipe.yaml'), 'suite: bookworm\npackages: [tcpdump=4.9.3-2]\n');
  assert.notEqual(readRecipe(d, 'tcpdump', '4.9.3').hash, before);
});

test('invalid recipes and references are refused with what is wrong', (t) => {
  const d = cat(t, {
    'a/1/recipe.yaml': 'suite: bookworm\npackages: ["tcpdump; rm -rf /"]\n',
    'b/1/recipe.yaml': 'suite: bookworm\npackages: [x]\nrun: anything\n',
    'c/1/Dockerfile': 'FROM debian:bookworm\n',
  });
  assert.throws(() => readRecipe(d, 'a', '1'), /packages\.0/);
  assert.throws(() => readRecipe(d, 'b', '1'), /Unrecognized key/);
  assert.throws(() => readRecipe(d, 'c', '1'), /FROM islet\/base:<suite>/);
  assert.throws(() => readRecipe(d, 'zz', '1'), { code: 'CATALOGUE_NOT_FOUND' });
  assert.throws(() => parseToolRef('../etc'), { code: 'CATALOGUE_INVALID' });
  assert.throws(() => parseToolRef('tcpdump/4.9;id'), { code: 'CATALOGUE_INVALID' });
  // Controls: valid references pass.
  assert.deepEqual(parseToolRef('tcpdump:4.99.3'), { tool: 'tcpdump', version: '4.99.3' });
  assert.deepEqual(parseToolRef('iftop/1.0~pre4'), { tool: 'iftop', version: '1.0~pre4' });
});

test('image names and ContainNSM names', () => {
  assert.equal(imageName('iftop', '1.0~pre4'), 'islet/iftop:1.0_pre4');
  assert.equal(imageName('ngrep', '1.47+ds1'), 'islet/ngrep:1.47_ds1');
  assert.deepEqual(containnsmRef('opennsm/bro:2.4.1'), { tool: 'bro', version: '2.4.1' });
  assert.deepEqual(containnsmRef('opennsm/tcpdump:latest'), { tool: 'tcpdump' });
  assert.equal(containnsmRef('islet/demo:latest'), undefined);
});
