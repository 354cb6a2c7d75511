/** Writes docs/config-reference.md from the schema (`npm run docs`). */
import { writeFileSync } from 'node:fs';
import { configReference } from '../src/config/config-reference.ts';
writeFileSync(new URL('../docs/config-reference.md', import.meta.url), configReference());
console.log('wrote docs/config-reference.md');
