/**
 * Reads one original ISLET `.conf` file into variables, the way bash's
 * `source` would have left them, but without executing anything: only
 * comments, `NAME=value` assignments and `export` are accepted, and `$NAME`
 * is expanded from earlier lines and earlier files, never from the host's
 * environment.
 */
import type { ConfigIssue } from '../config-issue.ts';
import { maxRefusals, tokenize } from './tokenize.ts';
import { wordText, type Part, type Problem, type Statement, type Word } from './word.ts';
import { sessionPlaceholder, sessionVariables } from './variables.ts';
import { clip } from './values.ts';

export interface LegacyVar {
  /** The value after expansion. */
  readonly value: string;
  /** Line of the assignment (or of the `export` that made an inherited variable this file's). */
  readonly line: number;
  readonly exported: boolean;
}

export interface ParsedLegacyConf {
  /** `inherited` merged with this file's assignments (later wins). Untouched inherited entries are the same objects. */
  readonly vars: Map<string, LegacyVar>;
  readonly issues: ConfigIssue[];
}

/** Warnings shown per file; past this, one notice replaces the rest. */
const maxWarnings = 200;
const ASSIGN = /^([A-Za-z_][A-Za-z0-9_]*)(\+?)=/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Variables whose values are expected to span lines; for others a newline suggests a quote typo. */
const MULTILINE_OK = new Set(['BANNER', 'MOTD', 'DESCRIPTION']);

interface Assignment {
  readonly name: string;
  readonly append: boolean;
  readonly parts: readonly Part[];
  readonly word: Word;
}

/** `NAME=…` / `NAME+=…` with the name and `=` unquoted, as bash requires; undefined for other words. */
function asAssignment(w: Word): Assignment | undefined {
  const first = w.parts[0];
  if (!first || first.kind !== 'lit' || first.quoted) return undefined;
  const m = ASSIGN.exec(first.text);
  if (!m) return undefined;
  const rest = first.text.slice(m[0].length);
  const parts = rest ? [{ kind: 'lit', text: rest, quoted: false } as const, ...w.parts.slice(1)] : w.parts.slice(1);
  return { name: m[1]!, append: m[2] === '+', parts, word: w };
}

/** A bare, unquoted variable name (an `export` argument without `=`). */
function asName(w: Word): string | undefined {
  const p = w.parts[0];
  return w.parts.length === 1 && p?.kind === 'lit' && !p.quoted && NAME.test(p.text) ? p.text : undefined;
}

function commandMessage(words: readonly Word[], at: number): string {
  const w = words[at]!;
  const text = wordText(w);
  if (text === 'source' || text === '.')
    return `\`${text}\` would read and run another file; ISLET never executes configuration files (copy the settings into this file instead)`;
  if (text === 'function') return 'function definitions are not supported; ISLET never executes configuration files';
  const prev = at > 0 ? asAssignment(words[at - 1]!) : undefined;
  if (prev && prev.parts.length === 0)
    return `\`${clip(text)}\` would run as a command (with ${prev.name} set only for it): write ${prev.name}=value with no space after =`;
  if (words[at + 1] && wordText(words[at + 1]!).startsWith('='))
    return `\`${clip(text)}\` would run as a command: there must be no whitespace around = in NAME=value`;
  return `\`${clip(text)}\` would run as a command; only comments, NAME=value assignments and export are allowed`;
}

export function parseLegacyConf(text: string, file: string, inherited: ReadonlyMap<string, LegacyVar>): ParsedLegacyConf {
  const vars = new Map(inherited);
  const issues: ConfigIssue[] = [];
  /** Names assigned in this file (so an `export` keeps their line). */
  const own = new Set<string>();
  /** `export NAME` seen before NAME was assigned in this file. */
  const pendingExport = new Map<string, number>();

  let warnings = 0;
  const report = (p: Problem, option: string | undefined) => {
    if (p.severity === 'warning' && ++warnings > maxWarnings) {
      if (warnings === maxWarnings + 1)
        issues.push({
          severity: 'warning',
          code: 'CONFIG_SYNTAX',
          file,
          line: p.line,
          message: `more than ${maxWarnings} warnings; further warnings for this file are not shown`,
        });
      return;
    }
    issues.push({
      severity: p.severity,
      code: p.code,
      file,
      line: p.line,
      ...(option ? { option } : {}),
      message: p.message,
    });
  };

  const undefinedSeen = new Set<string>();
  const expand = (parts: readonly Part[], option: string): string => {
    let out = '';
    for (const p of parts) {
      if (p.kind === 'lit') {
        out += p.text;
        continue;
      }
      if (sessionVariables.has(p.name)) {
        out += sessionPlaceholder(p.name);
        continue;
      }
      const v = vars.get(p.name);
      if (v) {
        out += v.value;
        continue;
      }
      if (undefinedSeen.has(p.name)) continue; // one warning per name and file
      undefinedSeen.add(p.name);
      report(
        {
          severity: 'warning',
          code: 'CONFIG_UNKNOWN_OPTION',
          line: p.line,
          col: p.col,
          message: `$${p.name} (column ${p.col}) is not defined in this or an earlier file; it expands to an empty string (ISLET never reads the host environment)`,
        },
        option,
      );
    }
    return out;
  };

  const assign = (a: Assignment, exportIt: boolean) => {
    const value = expand(a.parts, a.name);
    if (sessionVariables.has(a.name)) {
      report(
        {
          severity: 'warning',
          code: 'CONFIG_INVALID',
          line: a.word.line,
          col: a.word.col,
          message: `${a.name} is set by ISLET for each session; this assignment is ignored`,
        },
        a.name,
      );
      return;
    }
    const prev = vars.get(a.name);
    const full = a.append ? (prev?.value ?? '') + value : value;
    const exported = exportIt || (prev?.exported ?? false) || pendingExport.has(a.name);
    pendingExport.delete(a.name);
    vars.set(a.name, { value: full, line: a.word.line, exported });
    own.add(a.name);
    if (full.includes('\n') && !MULTILINE_OK.has(a.name)) {
      const lines = full.split('\n').length;
      report(
        {
          severity: 'warning',
          code: 'CONFIG_SYNTAX',
          line: a.word.line,
          col: a.word.col,
          message: `the value of ${a.name} spans ${lines} lines (from line ${a.word.line}); check for an unbalanced quote`,
        },
        a.name,
      );
    }
  };

  const exportName = (name: string, w: Word) => {
    if (sessionVariables.has(name)) return; // already exported by the session
    const prev = vars.get(name);
    if (!prev) {
      pendingExport.set(name, w.line);
      return;
    }
    if (prev.exported) return;
    vars.set(name, { value: prev.value, line: own.has(name) ? prev.line : w.line, exported: true });
  };

  const firstName = (st: Statement): string | undefined => {
    for (const w of st.words) {
      const a = asAssignment(w);
      if (a) return a.name;
    }
    const isExport = st.words[0] && asName(st.words[0]) === 'export';
    return isExport && st.words[1] ? asName(st.words[1]) : undefined;
  };

  let refused = 0;
  const refuse = (p: Problem, option: string | undefined) => {
    report(p, option);
    refused++;
  };
  for (const st of tokenize(text)) {
    if (refused >= maxRefusals) {
      issues.push({
        severity: 'critical',
        code: 'CONFIG_SYNTAX',
        file,
        line: st.line,
        message: `more than ${maxRefusals} refused statements; the rest of the file (from this line) is not read`,
      });
      break;
    }
    const option = firstName(st);
    for (const w of st.warnings) report(w, option);
    const head = st.words[0] && asName(st.words[0]);
    if (st.refused && (head === 'function' || head === 'source')) {
      refuse({ ...st.refused, line: st.words[0]!.line, col: st.words[0]!.col, message: `${commandMessage(st.words, 0)} (column ${st.words[0]!.col})` }, option);
      continue;
    }
    if (st.refused) {
      refuse(st.refused, option);
      continue;
    }
    const words = st.words;
    if (words.length === 0) continue;

    if (asName(words[0]!) === 'export') {
      const args = words.slice(1);
      let bad: Problem | undefined;
      for (const w of args) {
        if (asAssignment(w) || asName(w)) continue;
        const t = wordText(w);
        bad = t.startsWith('-')
          ? {
              severity: 'critical',
              code: 'CONFIG_FORBIDDEN',
              line: w.line,
              col: w.col,
              message: `export options such as ${clip(t)} are not supported; write export NAME or export NAME=value`,
            }
          : {
              severity: 'critical',
              code: 'CONFIG_SYNTAX',
              line: w.line,
              col: w.col,
              message: `\`${clip(t)}\` (column ${w.col}) is not a valid variable name for export`,
            };
        break;
      }
      if (bad) {
        refuse(bad, option);
        continue;
      }
      if (args.length === 0) {
        report(
          { severity: 'warning', code: 'CONFIG_SYNTAX', line: words[0]!.line, col: words[0]!.col, message: '`export` without names does nothing; ignored' },
          undefined,
        );
        continue;
      }
      for (const w of args) {
        const a = asAssignment(w);
        if (a) assign(a, true);
        else exportName(asName(w)!, w);
      }
      continue;
    }

    const assignments: Assignment[] = [];
    let commandAt = -1;
    for (let k = 0; k < words.length; k++) {
      const a = asAssignment(words[k]!);
      if (!a) {
        commandAt = k;
        break;
      }
      assignments.push(a);
    }
    if (commandAt !== -1) {
      const w = words[commandAt]!;
      refuse(
        { severity: 'critical', code: 'CONFIG_FORBIDDEN', line: w.line, col: w.col, message: `${commandMessage(words, commandAt)} (column ${w.col})` },
        option,
      );
      continue;
    }
    for (const a of assignments) assign(a, false);
  }

  for (const [name, line] of pendingExport) {
    issues.push({
      severity: 'warning',
      code: 'CONFIG_UNKNOWN_OPTION',
      file,
      line,
      option: name,
      message: `export ${name}: ${name} is not defined in this or an earlier file, so nothing is exported`,
    });
  }
  return { vars, issues };
}
