/**
 * Reads one YAML config file into plain data while keeping a way back from
 * an option path to its line, so validation errors can name file:line.
 */
import { LineCounter, parseDocument, isMap } from 'yaml';
import type { ConfigIssue } from './config-issue.ts';

export interface YamlFile {
  readonly data: Record<string, unknown> | undefined;
  /** 1-based line of the node at `path`, or of its nearest existing ancestor. */
  lineOf(path: readonly PropertyKey[]): number | undefined;
  readonly issues: ConfigIssue[];
}

export function readYaml(text: string, file: string): YamlFile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const issues: ConfigIssue[] = [];
  for (const e of doc.errors) {
    issues.push({ severity: 'critical', code: 'CONFIG_SYNTAX', file, line: lc.linePos(e.pos[0]).line, message: e.message.split('\n')[0]! });
  }
  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range) return lc.linePos(range[0]).line;
    }
    return undefined;
  };
  if (issues.length > 0) return { data: undefined, lineOf, issues };
  if (doc.contents !== null && !isMap(doc.contents)) {
    issues.push({ severity: 'critical', code: 'CONFIG_SYNTAX', file, line: 1, message: 'expected a mapping of option: value at the top level' });
    return { data: undefined, lineOf, issues };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    issues.push({ severity: 'critical', code: 'CONFIG_SYNTAX', file, line: 1, message: (err as Error).message });
    return { data: undefined, lineOf, issues };
  }
  return { data: (data ?? {}) as Record<string, unknown>, lineOf, issues };
}
