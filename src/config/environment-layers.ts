/**
 * The one path from files to an environment's options, for YAML and legacy
 * `.conf` alike: ISLET's schema defaults at the bottom, then each file's
 * options in precedence order (islet.yaml `defaults`, the legacy chain or the
 * module defaults, the environment file). A layer replaces an option it
 * names, except `ulimits`, which are replaced one limit at a time: a file
 * that names `nofile` keeps the default `fsize` limit.
 *
 * It also records where each option came from, for `islet check --effective`.
 */
import { environmentFields } from './schema.ts';

/** Where an option was set: a file, its line when known, and the YAML key or legacy variable. */
export interface OptionSource {
  readonly file: string;
  readonly line?: number;
  readonly option?: string;
}

export interface EnvironmentLayer {
  /** Raw (unvalidated) options as the file gave them. */
  readonly data: Readonly<Record<string, unknown>>;
  /** Where a key path of `data` was set, e.g. ['ulimits', 'nofile'] or ['cap_add', 'NET_RAW']. */
  readonly where: (path: readonly string[]) => OptionSource;
}

export interface LayeredEnvironment {
  /** The merged raw input, ready for environmentSchema. */
  readonly input: Record<string, unknown>;
  /** Where `key` ('memory', 'ulimits.nofile') came from; undefined: ISLET's default. */
  readonly sourceOf: (key: string) => OptionSource | undefined;
}

/** The schema's default ulimits, in input form ("soft:hard"), so they merge with a file's values. */
export function defaultUlimits(): Record<string, string> {
  const parsed = environmentFields.ulimits.parse(undefined) as Record<string, { soft: number; hard: number }>;
  return Object.fromEntries(Object.entries(parsed).map(([k, l]) => [k, `${l.soft}:${l.hard}`]));
}

/**
 * A YAML key path for `where`: a list entry named by value (['cap_add', 'NET_RAW']) becomes its index
 * (['cap_add', 0]), which is what a YAML document's line lookup understands.
 */
export function yamlKeyPath(data: Readonly<Record<string, unknown>>, path: readonly string[]): (string | number)[] {
  const list = data[path[0]!];
  if (path.length === 2 && Array.isArray(list)) {
    const norm = (v: string) => v.toUpperCase().replace(/^CAP_/, '');
    const i = list.findIndex((v) => typeof v === 'string' && norm(v) === norm(path[1]!));
    if (i >= 0) return [path[0]!, i];
  }
  return [...path];
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function layerEnvironment(layers: readonly EnvironmentLayer[]): LayeredEnvironment {
  const input: Record<string, unknown> = {};
  const sources = new Map<string, OptionSource>();
  const ulimits: Record<string, unknown> = defaultUlimits();
  let ulimitsValid = true;
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer.data)) {
      if (value === undefined) continue;
      if (key === 'ulimits') {
        // A value that is not a mapping is passed through as is, so the schema reports it at its line.
        if (!isRecord(value)) {
          input.ulimits = value;
          ulimitsValid = false;
          sources.set(key, layer.where([key]));
          continue;
        }
        for (const [name, limit] of Object.entries(value)) {
          ulimits[name] = limit;
          sources.set(`ulimits.${name}`, layer.where([key, name]));
        }
        sources.set(key, layer.where([key]));
        continue;
      }
      input[key] = value;
      sources.set(key, layer.where([key]));
      if (key === 'cap_add') for (const k of [...sources.keys()]) if (k.startsWith('cap_add.')) sources.delete(k);
      if (key === 'cap_add' && Array.isArray(value))
        for (const c of value) if (typeof c === 'string') sources.set(`cap_add.${c.toUpperCase().replace(/^CAP_/, '')}`, layer.where([key, c]));
    }
  }
  if (ulimitsValid) input.ulimits = ulimits;
  return { input, sourceOf: (key) => sources.get(key) };
}
