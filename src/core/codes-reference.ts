/** Generates docs/codes.md from the code catalogue (a test keeps them in step). */
import { codes } from './codes.ts';

export function codesReference(): string {
  const rows = Object.entries(codes).map(([code, meaning]) => `| \`${code}\` | ${meaning} |`);
  return `# Error codes

Generated from \`src/core/codes.ts\` by \`npm run docs\`; do not edit by hand.
Every error ISLET reports carries one of these stable codes, a message safe to show a trainee,
and detail for the admin's log. Config problems print as \`file:line: severity: option: message [CODE]\`.

| code | meaning |
|---|---|
${rows.join('\n')}
`;
}
