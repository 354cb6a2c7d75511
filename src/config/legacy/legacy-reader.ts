/**
 * The variables of one legacy file chain as the mapping reads them: values, "yes"/"no" and numbers the way
 * the original read them, each problem reported against the file that assigned the variable (`ownVars`),
 * and where each mapped option came from (`origins`). Shared by every section of map-legacy.ts.
 */
import type { ErrorCode } from '../../core/codes.ts';
import type { ConfigIssue } from '../config-issue.ts';
import type { LegacyVar } from './parse-legacy-conf.ts';
import { clip } from './values.ts';
import { sessionPlaceholder, sessionVariables } from './variables.ts';

export type LegacyKind = 'global' | 'module' | 'environment' | 'plugin';
export interface Origin {
  readonly line: number;
  readonly variable: string;
}
export interface Problem {
  severity: 'critical' | 'warning';
  code: ErrorCode;
  message: string;
}

export interface LegacyReader {
  readonly vars: ReadonlyMap<string, LegacyVar>;
  readonly kind: LegacyKind;
  readonly file: string;
  readonly issues: ConfigIssue[];
  readonly origins: Record<string, Origin>;
  /** Whether `file` itself assigns the variable (only those are reported). */
  isOwn(name: string): boolean;
  value(name: string): string | undefined;
  /** The value unless unset or empty. */
  set(name: string): string | undefined;
  issue(severity: 'critical' | 'warning', code: ErrorCode, name: string, message: string, force?: boolean): void;
  origin(key: string, name: string): void;
  yes(name: string): boolean | undefined;
  whole(name: string): number | undefined;
  decimal(name: string): number | undefined;
  readonly envsList: readonly string[];
  readonly envsSet: ReadonlySet<string>;
  exportedValue(name: string, via: string, problems: Problem[]): string | undefined;
}

const WHOLE = /^\d{1,12}$/;
const DECIMAL = /^\d{1,9}(\.\d{1,6})?$/;

export function legacyReader(vars: ReadonlyMap<string, LegacyVar>, kind: LegacyKind, file: string, ownVars?: ReadonlySet<string>): LegacyReader {
  const issues: ConfigIssue[] = [];
  const origins: Record<string, Origin> = {};
  const isOwn = (name: string) => (ownVars ? ownVars.has(name) : vars.has(name));
  const value = (name: string) => vars.get(name)?.value;
  const set = (name: string) => {
    const v = value(name);
    return v === undefined || v === '' ? undefined : v;
  };
  const issue = (severity: 'critical' | 'warning', code: ErrorCode, name: string, message: string, force = false) => {
    if (!force && !isOwn(name)) return;
    const v = isOwn(name) ? vars.get(name) : undefined; // an inherited variable's line is in another file
    issues.push({ severity, code, file, ...(v ? { line: v.line } : {}), option: name, message });
  };
  const origin = (key: string, name: string) => {
    const v = vars.get(name);
    if (v) origins[key] = { line: v.line, variable: name };
  };
  /** Exactly "yes" is true, as in the original; "no" and "" are false; anything else is false with a warning. */
  const yes = (name: string): boolean | undefined => {
    const v = value(name);
    if (v === undefined) return undefined;
    if (v === 'yes') return true;
    if (v !== 'no' && v !== '') issue('warning', 'CONFIG_INVALID', name, `"${clip(v)}" is neither "yes" nor "no"; as in the original it counts as "no"`);
    return false;
  };
  const whole = (name: string): number | undefined => {
    const v = set(name);
    if (v === undefined) return undefined;
    if (WHOLE.test(v.trim())) return Number(v.trim());
    issue('critical', 'CONFIG_INVALID', name, `"${clip(v)}" is not a whole number`);
    return undefined;
  };
  const decimal = (name: string): number | undefined => {
    const v = set(name);
    if (v === undefined) return undefined;
    if (DECIMAL.test(v.trim())) return Number(v.trim());
    issue('critical', 'CONFIG_INVALID', name, `"${clip(v)}" is not a number`);
    return undefined;
  };
  const envsList = (set('ENVS') ?? '').split(/\s+/).filter(Boolean);
  const envsSet = new Set(envsList);

  /** The value an exported name has inside the container (ENVS and `-e NAME`), or undefined with a warning. */
  const exportedValue = (name: string, via: string, problems: Problem[]): string | undefined => {
    if (sessionVariables.has(name)) return sessionPlaceholder(name);
    const v = vars.get(name);
    if (!v) {
      problems.push({
        severity: 'warning',
        code: 'CONFIG_INVALID',
        message: `${via} names ${name}, which is not defined; it is left out of the container environment`,
      });
      return undefined;
    }
    if (!v.exported) {
      problems.push({
        severity: 'warning',
        code: 'CONFIG_INVALID',
        message: `${via} names ${name}, which is not exported (the original passed nothing for it); add \`export ${name}\` to pass it`,
      });
      return undefined;
    }
    return v.value;
  };

  return { vars, kind, file, issues, origins, isOwn, value, set, issue, origin, yes, whole, decimal, envsList, envsSet, exportedValue };
}
