/**
 * Passphrases for accounts made in bulk: four words drawn uniformly (crypto.randomInt) from the EFF large
 * word list (https://www.eff.org/dice, CC BY 3.0 US; the four words with a hyphen dropped, 7,772 left), joined
 * by hyphens, e.g. `armrest-unplug-tidbit-glory`: log2(7772^4) ≈ 51.7 bits of entropy, easy to read off a
 * paper slip and type. Stored like every password: scrypt (src/accounts/password.ts) through AccountService.
 */
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const PASSPHRASE_WORDS = 4;

let list: readonly string[] | undefined;

/** The word list, read once: lower-case a-z words, one a line, no duplicates. */
export function wordList(): readonly string[] {
  list ??= readFileSync(join(import.meta.dirname, 'eff-large-wordlist.txt'), 'utf8')
    .split('\n')
    .filter(Boolean);
  return list;
}

/** Bits of entropy of a passphrase of `words` words. */
export function passphraseBits(words = PASSPHRASE_WORDS): number {
  return words * Math.log2(wordList().length);
}

export function generatePassphrase(words = PASSPHRASE_WORDS): string {
  const w = wordList();
  return Array.from({ length: words }, () => w[randomInt(w.length)]).join('-');
}
