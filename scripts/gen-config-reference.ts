/** Writes the generated docs (`npm run docs`): docs/config-reference.md and docs/codes.md. */
import { writeFileSync } from 'node:fs';
import { configReference } from '../src/config/config-reference.ts';
import { codesReference } from '../src/core/codes-reference.ts';
writeFileSync(new URL('../docs/config-reference.md', import.meta.url), configReference());
writeFileSync(new URL('../docs/codes.md', import.meta.url), codesReference());
console.log('wrote docs/config-reference.md and docs/codes.md');
