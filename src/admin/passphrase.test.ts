import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatePassphrase, passphraseBits, wordList } from './passphrase.ts';

test('the word list has 7,772 distinct lower-case words, so four words carry over 50 bits', () => {
  const w = wordList();
  assert.equal(w.length, 7772);
  assert.equal(new Set(w).size, w.length);
  assert.ok(w.every((x) => /^[a-z]{3,9}$/.test(x)));
  assert.ok(passphraseBits() > 51.6 && passphraseBits() < 51.8, String(passphraseBits()));
});

test('passphrases are four listed words joined by hyphens, and differ', () => {
  const words = new Set(wordList());
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const p = generatePassphrase();
    const parts = p.split('-');
    assert.equal(parts.length, 4);
    assert.ok(
      parts.every((x) => words.has(x)),
      p,
    );
    seen.add(p);
  }
  assert.equal(seen.size, 2000); // a repeat in 2000 draws of 2^51.7 would mean a broken generator
  // Every position uses the whole list: over 2000 draws the first word alone takes far more than 1000 values.
  const firsts = new Set([...seen].map((p) => p.split('-')[0]));
  assert.ok(firsts.size > 1500, String(firsts.size));
});
