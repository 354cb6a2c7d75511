/**
 * The architecture as import rules (`npm run lint`; docs/architecture.md draws the same picture):
 * - `core/` imports nothing of ISLET;
 * - `runtime/` and `store/` import no session, door, lifecycle, admin or CLI code;
 * - only the SSH door (`sshd/`, and `sftp/`, its file service) imports `ssh2`: the session engine and
 *   everything below it speak no SSH;
 * - the front doors (`sshd/`, `web/`) reach the session engine only through its public face,
 *   `sessions/index.ts`, besides the door-neutral folders (`core/`, `config/`, `access/`, `line-editor/`,
 *   `logger.ts`); `sshd/` also uses `sftp/`.
 * Tests (`*.test.ts`, `*.case.ts`) may assemble anything, but the ssh2 rule holds for them too.
 * Relative imports are resolved against the importing file; package imports are matched by name.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export interface Violation {
  readonly file: string;
  readonly line: number;
  readonly rule: string;
  readonly message: string;
}

/** One import found in a file: what it says and, for a relative one, the repository path it resolves to. */
interface Import {
  readonly spec: string;
  readonly target?: string;
  readonly line: number;
}

const isTest = (f: string) => /\.(test|case)\.ts$/.test(f);
const under = (f: string, ...dirs: string[]) => dirs.some((d) => f.startsWith(d));

const DOORS = ['src/sshd/', 'src/web/'];
const DOOR_NEUTRAL = ['src/core/', 'src/config/', 'src/access/', 'src/line-editor/', 'src/logger.ts', 'src/sessions/index.ts'];
/** Known edges kept on purpose, each with its reason in a comment; a new edge of the same kind fails. None today. */
const KNOWN: ReadonlyArray<{ readonly from: string; readonly to: string }> = [];

interface Rule {
  readonly name: string;
  check(file: string, imp: Import): string | undefined;
}

export const rules: readonly Rule[] = [
  {
    name: 'core-imports-nothing',
    check: (f, i) =>
      under(f, 'src/core/') && !isTest(f) && i.target?.startsWith('src/') && !i.target.startsWith('src/core/')
        ? `core/ imports nothing of ISLET, not ${i.target}`
        : undefined,
  },
  {
    name: 'runtime-store-no-session-code',
    check: (f, i) =>
      under(f, 'src/runtime/', 'src/store/') &&
      !isTest(f) &&
      i.target &&
      under(i.target, 'src/sessions/', 'src/sshd/', 'src/web/', 'src/sftp/', 'src/lifecycle/', 'src/admin/', 'src/cli/', 'src/main.ts', 'src/line-editor/')
        ? `${f.split('/')[1]}/ imports no session, door, lifecycle, admin or CLI code, not ${i.target}`
        : undefined,
  },
  {
    name: 'ssh2-only-in-the-ssh-door',
    check: (f, i) =>
      under(f, 'src/') && !under(f, 'src/sshd/', 'src/sftp/') && (i.spec === 'ssh2' || i.spec.startsWith('ssh2/'))
        ? 'only sshd/ and sftp/ import ssh2: the session engine and everything below it speak no SSH'
        : undefined,
  },
  {
    name: 'doors-use-the-session-face',
    check: (f, i) => {
      const door = DOORS.find((d) => f.startsWith(d));
      if (!door || isTest(f) || !i.target?.startsWith('src/') || i.target.startsWith(door)) return undefined;
      if (under(i.target, ...DOOR_NEUTRAL) || (door === 'src/sshd/' && i.target.startsWith('src/sftp/'))) return undefined;
      if (KNOWN.some((k) => k.from === f && k.to === i.target)) return undefined;
      return `front doors reach the session engine through src/sessions/index.ts only (and door-neutral folders), not ${i.target}`;
    },
  },
];

const importPattern = /(?:^|[\s;])(?:import|export)\s(?:[^'";]*?\sfrom\s*)?['"]([^'"\n]+)['"]|\bimport\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g;

/** The imports of one file's text (`file` is its repository path, used to resolve relative imports). */
export function importsOf(file: string, text: string): Import[] {
  const out: Import[] = [];
  for (const m of text.matchAll(importPattern)) {
    const spec = (m[1] ?? m[2])!;
    const line = text.slice(0, m.index).split('\n').length + (m[0].startsWith('\n') ? 1 : 0);
    const target = spec.startsWith('.') ? join(dirname(file), spec) : undefined;
    out.push(target ? { spec, target, line } : { spec, line });
  }
  return out;
}

/** The rule violations of one file. */
export function checkFile(file: string, text: string): Violation[] {
  const out: Violation[] = [];
  for (const imp of importsOf(file, text)) {
    for (const r of rules) {
      const message = r.check(file, imp);
      if (message) out.push({ file, line: imp.line, rule: r.name, message });
    }
  }
  return out;
}

/** Checks the given repository paths (relative to `root`). */
export function checkFiles(root: string, files: readonly string[]): Violation[] {
  return files.flatMap((f) => checkFile(relative(root, resolve(root, f)), readFileSync(resolve(root, f), 'utf8')));
}
