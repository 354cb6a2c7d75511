/**
 * Generates docs/config-reference.md from the schema, so the reference can
 * never drift from what the loader accepts (a test compares the two).
 */
import type { z } from 'zod';
import { environmentFields, globalFields, pluginSchema } from './schema.ts';

type Def = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  options?: z.ZodType[];
  entries?: Record<string, string>;
  element?: z.ZodType;
  defaultValue?: unknown;
  valueType?: z.ZodType;
  keyType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
};
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

const units: Record<string, string> = { memory: 'size', swap: 'size', timeout: 'duration', menu_timeout: 'duration' };

function typeName(s: z.ZodType, key: string): string {
  const d = defOf(s);
  switch (d.type) {
    case 'default':
    case 'prefault':
    case 'optional':
      return typeName(d.innerType!, key);
    case 'pipe':
      return units[key] ?? typeName(d.in!, key);
    case 'union':
      return units[key] ?? d.options!.map((o) => typeName(o, key)).join(' or ');
    case 'enum':
      return Object.values(d.entries!)
        .map((v) => `\`${v}\``)
        .join(' \\| ');
    case 'array':
      return `list of ${typeName(d.element!, key)}`;
    case 'record':
      return `map of name to ${typeName(d.valueType!, key)}`;
    case 'object':
      return key === 'defaults' ? 'environment options (all optional)' : `{${Object.keys(d.shape!).join(', ')}}`;
    default:
      return d.type;
  }
}

function defaultOf(s: z.ZodType): string {
  const d = defOf(s);
  if (d.type === 'default' || d.type === 'prefault') {
    const v = typeof d.defaultValue === 'function' ? (d.defaultValue as () => unknown)() : d.defaultValue;
    const text = JSON.stringify(v);
    return text.length > 60 ? 'see below' : `\`${text}\``;
  }
  if (d.type === 'optional') return '(unset)';
  return '**required**';
}

function table(fields: Record<string, z.ZodType>): string {
  const rows = Object.entries(fields).map(([k, s]) => `| \`${k}\` | ${typeName(s, k)} | ${defaultOf(s)} | ${(s.description ?? '').replace(/\|/g, '\\|')} |`);
  return ['| option | type | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

export function configReference(): string {
  return `# Configuration reference

Generated from \`src/config/schema.ts\` by \`npm run docs\`; do not edit by hand.

Sizes are Docker-style (\`256m\`, \`1g\`); durations are \`timeout(1)\`-style (\`90\`, \`90s\`, \`15m\`, \`8h\`, \`3d\`).
Original ISLET \`.conf\` files map onto these same options: see [legacy-conf.md](legacy-conf.md).

## Global options (\`islet.yaml\`)

${table(globalFields as unknown as Record<string, z.ZodType>)}

The default \`banner\` greets the room; the default \`plugins\` are \`clear\`, \`del_training\`, \`del_user\` and \`restart\`, as in the original.

## Environment options (\`environments/<name>.yaml\`, and \`defaults\` in \`islet.yaml\`)

The environment's name is its file name without the extension.

${table(environmentFields as unknown as Record<string, z.ZodType>)}

## Plugin options (\`plugins\` in \`islet.yaml\`, or \`plugins/<name>.yaml\`)

${table(defOf(pluginSchema).shape!)}
`;
}
