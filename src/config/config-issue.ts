/**
 * A problem found in a configuration file. `critical` issues keep the file
 * (or the option) out of service; `warning` issues are reported by
 * `islet check` and in the log but change nothing.
 */
import type { ErrorCode } from '../core/codes.ts';

export interface ConfigIssue {
  readonly severity: 'critical' | 'warning';
  readonly code: ErrorCode;
  /** Path of the file as given to the loader. */
  readonly file: string;
  /** 1-based line, when known. */
  readonly line?: number;
  /** The option concerned: a YAML key path (`defaults.memory`) or a legacy variable (`MEMORY`). */
  readonly option?: string;
  readonly message: string;
}

/** `file:line: option: message`, the one format every front end prints. */
export function formatIssue(i: ConfigIssue): string {
  const where = i.line === undefined ? i.file : `${i.file}:${i.line}`;
  return `${where}: ${i.severity}: ${i.option ? `${i.option}: ` : ''}${i.message} [${i.code}]`;
}
