/**
 * `npm run lint`: the import boundaries (check-imports.ts) and the house style (check-style.ts) over every
 * tracked TypeScript and JavaScript file under src/, test/, bench/ and scripts/. Exit 1 on any violation,
 * each printed as file:line rule message. `--update-baseline` lowers scripts/long-lines-baseline.json to
 * today's counts (it never raises one).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkFiles } from './check-imports.ts';
import { MAX_LINE, checkStyle, loadBaseline } from './check-style.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const baselinePath = join(root, 'scripts/long-lines-baseline.json');
const dirs = ['src', 'test', 'bench', 'scripts'];
/** Git's view (tracked and new files, ignored ones left out); outside a git checkout, every file under the folders. */
function listFiles(): string[] {
  try {
    return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', ...dirs], { cwd: root, encoding: 'utf8', stdio: 'pipe' }).split('\n');
  } catch {
    return dirs
      .filter((d) => existsSync(join(root, d)))
      .flatMap((d) => readdirSync(join(root, d), { recursive: true, encoding: 'utf8' }).map((f) => `${d}/${f}`))
      .filter((f) => !f.includes('node_modules/'));
  }
}
const files = listFiles().filter((f) => /\.(ts|js|mjs)$/.test(f) && existsSync(join(root, f)));
const baseline = loadBaseline(baselinePath);
const violations = [...checkFiles(root, files), ...files.flatMap((f) => checkStyle(f, readFileSync(join(root, f), 'utf8'), baseline[f] ?? 0))];
if (process.argv.includes('--update-baseline')) {
  const next: Record<string, number> = {};
  for (const f of files) {
    const n = readFileSync(join(root, f), 'utf8')
      .split('\n')
      .filter((l) => [...l].length > MAX_LINE).length;
    if (n > 0 && n <= (baseline[f] ?? 0)) next[f] = n;
  }
  writeFileSync(baselinePath, `${JSON.stringify(next, Object.keys(next).sort(), 2)}\n`);
}
for (const v of violations) console.error(`${v.file}:${v.line} ${v.rule} ${v.message}`);
console.log(`lint: ${files.length} files, ${violations.length} violations`);
process.exitCode = violations.length ? 1 : 0;
