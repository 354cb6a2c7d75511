/**
 * Runs a schema over merged input and turns every failure into a ConfigIssue
 * that names the file, line and option that supplied the bad value.
 */
import type { z } from 'zod';
import type { ConfigIssue } from './config-issue.ts';

/** Where an option path came from: the loader answers from its layers. */
export type Locate = (path: readonly PropertyKey[]) => { file: string; line?: number; option?: string };

export function validate<S extends z.ZodType>(schema: S, input: unknown, locate: Locate): { value?: z.output<S>; issues: ConfigIssue[] } {
  const r = schema.safeParse(input);
  if (r.success) return { value: r.data, issues: [] };
  const issues = r.error.issues.map((i): ConfigIssue => {
    // An unknown key is reported at the key itself, not at its parent object.
    const path = i.code === 'unrecognized_keys' ? [...i.path, ...(i as { keys: string[] }).keys.slice(0, 1)] : i.path;
    const at = locate(path);
    const option = at.option ?? (path.length ? path.map(String).join('.') : undefined);
    const code = i.code === 'unrecognized_keys' ? 'CONFIG_UNKNOWN_OPTION' : 'CONFIG_INVALID';
    const message =
      i.code === 'unrecognized_keys'
        ? 'unknown option (known options are listed in docs/config-reference.md)'
        : i.code === 'invalid_type' && /received undefined$/.test(i.message)
          ? 'required option is missing'
          : i.message;
    return { severity: 'critical', code, file: at.file, ...(at.line === undefined ? {} : { line: at.line }), ...(option ? { option } : {}), message };
  });
  return { issues };
}
