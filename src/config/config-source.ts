/**
 * Loads a config directory (YAML and original ISLET `.conf` side by side)
 * into one validated LoadedConfig, and reloads it when any file changes.
 *
 * Layout: islet.yaml, islet.conf, modules/docker.conf, environments/*.{yaml,yml,conf},
 * plugins/*.{yaml,yml,conf}. Precedence, lowest first: islet.yaml `defaults`,
 * islet.conf, modules/docker.conf, the environment file itself.
 *
 * Contract: current() is cheap when nothing changed (one readdir and stat per
 * file; with `watch`, nothing at all until a directory reports a change or
 * RECHECK_MS passed); an environment whose file breaks keeps its last good
 * version in service, and the problem is reported in `issues`.
 */
import { readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { ConfigIssue } from './config-issue.ts';
import { datasetsDirOf, resolveCatalogueEnvironment } from './catalogue-environment.ts';
import { environmentSchema, globalSchema, namePattern, pluginSchema, type Environment, type GlobalConfig, type Plugin } from './schema.ts';
import { readYaml } from './yaml-file.ts';
import { validate, type Locate } from './validate.ts';
import { mapLegacy, parseLegacyConf, type LegacyVar } from './legacy/index.ts';
import { layerEnvironment, yamlKeyPath, type EnvironmentLayer, type OptionSource } from './environment-layers.ts';

export interface LoadedConfig {
  readonly global: GlobalConfig;
  /** Valid environments (enabled or not), in menu order. */
  readonly environments: readonly Environment[];
  readonly plugins: readonly Plugin[];
  readonly issues: readonly ConfigIssue[];
  /** Per environment name: where each option came from ('memory', 'ulimits.nofile'); undefined = ISLET's default. */
  readonly sources?: ReadonlyMap<string, (key: string) => OptionSource | undefined>;
}

const yamlExt = new Set(['.yaml', '.yml']);
const isConfigFile = (f: string) => yamlExt.has(extname(f)) || extname(f) === '.conf';

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).filter(isConfigFile).sort();
  } catch {
    return [];
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function parseChained(chain: { vars: ReadonlyMap<string, LegacyVar>; fileOf: Map<string, string> }, file: string, text: string) {
  const r = parseLegacyConf(text, file, chain.vars);
  const own = new Set<string>();
  for (const [k, v] of r.vars) if (chain.vars.get(k) !== v) own.add(k);
  const fileOf = new Map(chain.fileOf);
  for (const k of own) fileOf.set(k, file);
  return { vars: r.vars as ReadonlyMap<string, LegacyVar>, own, fileOf, issues: r.issues };
}

/** Reads the whole directory once. `previous` supplies last good environments for files that now fail. */
export function loadConfigDir(dir: string, previous?: LoadedConfig): LoadedConfig {
  const issues: ConfigIssue[] = [];
  // --- global layers ---
  const yamlPath = join(dir, 'islet.yaml');
  const yamlText = readText(yamlPath);
  const y = yamlText === undefined ? undefined : readYaml(yamlText, yamlPath);
  if (y) issues.push(...y.issues);
  const yData: Record<string, unknown> = y?.data ?? {};
  const { defaults: yDefaultsRaw, ...yGlobal } = yData;
  const yDefaults = (yDefaultsRaw && typeof yDefaultsRaw === 'object' ? yDefaultsRaw : {}) as Record<string, unknown>;

  let chain = { vars: new Map() as ReadonlyMap<string, LegacyVar>, fileOf: new Map<string, string>() };
  let legacyGlobal: Record<string, unknown> = {};
  let legacyDefaults: Record<string, unknown> = {};
  let legacyOrigins: Record<string, { line: number; variable: string }> = {};
  let legacyOriginsFileOf = new Map<string, string>();
  for (const [name, kind] of [
    ['islet.conf', 'global'],
    ['modules/docker.conf', 'module'],
  ] as const) {
    const path = join(dir, name);
    const text = readText(path);
    if (text === undefined) continue;
    const r = parseChained(chain, path, text);
    issues.push(...r.issues);
    chain = { vars: r.vars, fileOf: r.fileOf };
    const m = mapLegacy(r.vars, kind, path, r.own);
    issues.push(...m.issues);
    if (kind === 'global') legacyGlobal = { ...m.global };
    legacyDefaults = { ...m.environment };
    legacyOrigins = m.origins;
    legacyOriginsFileOf = r.fileOf;
  }
  const defaultsRaw = { ...yDefaults, ...legacyDefaults };
  const legacyLocate = (key: string) => {
    const o = legacyOrigins[key];
    return o ? { file: legacyOriginsFileOf.get(o.variable) ?? join(dir, 'islet.conf'), line: o.line, option: o.variable } : undefined;
  };
  const globalLocate: Locate = (path) => {
    const [k0, k1] = path;
    if (k0 === 'defaults' && typeof k1 === 'string' && !(k1 in yDefaults)) return legacyLocate(k1) ?? { file: yamlPath };
    if (typeof k0 === 'string' && !(k0 in yGlobal) && k0 !== 'defaults') return legacyLocate(k0) ?? { file: yamlPath };
    return { file: yamlPath, ...(y ? { line: y.lineOf(path) } : {}) } as { file: string; line?: number };
  };
  const g = validate(globalSchema, { ...legacyGlobal, ...yGlobal, defaults: defaultsRaw }, globalLocate);
  issues.push(...g.issues);
  const global = g.value ?? previous?.global ?? globalSchema.parse({});

  // --- environments ---
  const environments: Environment[] = [];
  const sources = new Map<string, (key: string) => OptionSource | undefined>();
  const yDefaultsLayer: EnvironmentLayer = {
    data: yDefaults,
    where: (p) => ({ file: yamlPath, ...(y ? { line: y.lineOf(['defaults', ...yamlKeyPath(yDefaults, p)]) } : {}), option: `defaults.${p.join('.')}` }),
  };
  const legacyWhere =
    (origins: Record<string, { line: number; variable: string }>, fileOf: ReadonlyMap<string, string>, fallback: string) =>
    (p: readonly string[]): OptionSource => {
      const o = origins[p.join('.')] ?? origins[p[0]!];
      return o ? { file: fileOf.get(o.variable) ?? fallback, line: o.line, option: o.variable } : { file: fallback };
    };
  const envDir = join(dir, 'environments');
  const seen = new Map<string, string>();
  for (const f of listDir(envDir)) {
    const path = join(envDir, f);
    const name = basename(f, extname(f));
    const fail = (i: ConfigIssue[]) => {
      issues.push(...i);
      const old = previous?.environments.find((e) => e.name === name && e.source === path);
      if (old) {
        issues.push({ severity: 'warning', code: 'CONFIG_INVALID', file: path, message: `keeping the last good version of environment "${name}" in service` });
        environments.push(old);
        const oldSources = previous?.sources?.get(name);
        if (oldSources) sources.set(name, oldSources);
      }
    };
    if (!namePattern.test(name)) {
      fail([
        { severity: 'critical', code: 'CONFIG_INVALID', file: path, message: `environment name "${name}" (from the file name) must match ${namePattern}` },
      ]);
      continue;
    }
    if (seen.has(name)) {
      issues.push({
        severity: 'critical',
        code: 'CONFIG_INVALID',
        file: path,
        message: `environment "${name}" is already defined by ${seen.get(name)}; this file is ignored`,
      });
      continue;
    }
    seen.set(name, path);
    const text = readText(path);
    if (text === undefined) {
      fail([{ severity: 'critical', code: 'CONFIG_SYNTAX', file: path, message: 'cannot read file' }]);
      continue;
    }
    let input: Record<string, unknown>;
    let locate: Locate;
    let sourceOf: (key: string) => OptionSource | undefined;
    const fileIssues: ConfigIssue[] = [];
    if (yamlExt.has(extname(f))) {
      const ef = readYaml(text, path);
      fileIssues.push(...ef.issues);
      const data = ef.data ?? {};
      const layered = layerEnvironment([
        yDefaultsLayer,
        { data: legacyDefaults, where: legacyWhere(legacyOrigins, legacyOriginsFileOf, join(dir, 'islet.conf')) },
        { data, where: (p) => ({ file: path, line: ef.lineOf(yamlKeyPath(data, p)), option: p.join('.') }) },
      ]);
      input = layered.input;
      sourceOf = layered.sourceOf;
      locate = (p) =>
        typeof p[0] === 'string' && !(p[0] in data) && p.length > 0
          ? p[0] in yDefaults
            ? { file: yamlPath, ...(y ? { line: y.lineOf(['defaults', ...p]) } : {}) }
            : (legacyLocate(p[0]) ?? { file: path })
          : ({ file: path, line: ef.lineOf(p) } as { file: string; line?: number });
    } else {
      const r = parseChained(chain, path, text);
      fileIssues.push(...r.issues);
      const m = mapLegacy(r.vars, 'environment', path, r.own);
      fileIssues.push(...m.issues);
      const layered = layerEnvironment([yDefaultsLayer, { data: m.environment, where: legacyWhere(m.origins, r.fileOf, path) }]);
      input = layered.input;
      sourceOf = layered.sourceOf;
      locate = (p) => {
        const o = typeof p[0] === 'string' ? m.origins[p[0]] : undefined;
        if (o) return { file: r.fileOf.get(o.variable) ?? path, line: o.line, option: o.variable };
        if (typeof p[0] === 'string' && p[0] in yDefaults)
          return { file: yamlPath, ...(y ? { line: y.lineOf(['defaults', ...p]) } : {}) } as { file: string; line?: number };
        return { file: path };
      };
    }
    if (fileIssues.some((i) => i.severity === 'critical')) {
      fail(fileIssues);
      continue;
    }
    issues.push(...fileIssues);
    const catalogueIssues = resolveCatalogueEnvironment(input, path, datasetsDirOf(global.datasets_dir));
    if (catalogueIssues.some((i) => i.severity === 'critical')) {
      fail(catalogueIssues);
      continue;
    }
    issues.push(...catalogueIssues);
    const v = validate(environmentSchema, input, locate);
    if (!v.value) {
      fail(v.issues);
      continue;
    }
    environments.push(Object.freeze({ ...v.value, name, source: path }));
    sources.set(name, sourceOf);
  }

  // --- plugins ---
  const plugins: Plugin[] = [];
  const plugDir = join(dir, 'plugins');
  const plugFiles = listDir(plugDir);
  if (plugFiles.length === 0 || 'plugins' in yGlobal) plugins.push(...global.plugins.map((p) => ({ ...p, source: yamlPath })));
  for (const f of plugFiles) {
    const path = join(plugDir, f);
    const name = basename(f, extname(f));
    const text = readText(path) ?? '';
    if (yamlExt.has(extname(f))) {
      const pf = readYaml(text, path);
      issues.push(...pf.issues);
      if (!pf.data) continue;
      const v = validate(pluginSchema, { name, ...pf.data }, (p) => ({ file: path, line: pf.lineOf(p) }) as { file: string; line?: number });
      issues.push(...v.issues);
      if (v.value) plugins.push({ ...v.value, source: path });
    } else {
      const r = parseChained({ vars: new Map(chain.vars), fileOf: chain.fileOf }, path, text);
      issues.push(...r.issues);
      const m = mapLegacy(r.vars, 'plugin', path, r.own);
      issues.push(...m.issues);
      if (!m.plugin || r.issues.some((i) => i.severity === 'critical')) continue;
      const v = validate(pluginSchema, m.plugin, (p) => {
        const o = typeof p[0] === 'string' ? m.origins[p[0]] : undefined;
        return o ? { file: path, line: o.line, option: o.variable } : { file: path };
      });
      issues.push(...v.issues);
      if (v.value) plugins.push({ ...v.value, source: path });
    }
  }
  return Object.freeze({ global, environments: Object.freeze(environments), plugins: Object.freeze(plugins), issues: Object.freeze(issues), sources });
}

/** Cheap change detection: names, sizes, mtimes and inodes of every config file. */
function fingerprint(dir: string): string {
  const parts: string[] = [];
  const add = (p: string) => {
    try {
      const s = statSync(p);
      parts.push(`${p}:${s.size}:${s.mtimeMs}:${s.ino}`);
    } catch {
      /* absent */
    }
  };
  add(join(dir, 'islet.yaml'));
  add(join(dir, 'islet.conf'));
  add(join(dir, 'modules/docker.conf'));
  for (const sub of ['environments', 'plugins']) for (const f of listDir(join(dir, sub))) add(join(dir, sub, f));
  return parts.join('|');
}

/**
 * With `watch`, how long a fingerprint is trusted without a change event: the safety net for events a
 * file system does not deliver (network mounts, an overflowed inotify queue).
 */
export const RECHECK_MS = 2000;

/** The directories whose entries make up the fingerprint (watched for changes). */
const WATCHED = ['.', 'modules', 'environments', 'plugins'];

export class ConfigSource {
  readonly dir: string;
  #fp = '';
  #current: LoadedConfig | undefined;
  readonly #onReload: ((cfg: LoadedConfig) => void) | undefined;
  readonly #watch: boolean;
  readonly #watchers = new Map<string, FSWatcher>();
  /** performance.now() of the last fingerprint, when every watched directory has a watcher; else undefined. */
  #trustedSince: number | undefined;

  /**
   * `watch` (the server): the directories are watched, and current() fingerprints again only after a change
   * event or RECHECK_MS; a login reads the config many times, and a catalogue has many files. Without it
   * (one-shot commands, tests that edit and read in one tick) every current() fingerprints.
   */
  constructor(dir: string, onReload?: (cfg: LoadedConfig) => void, opts: { watch?: boolean } = {}) {
    this.dir = dir;
    this.#onReload = onReload;
    this.#watch = opts.watch ?? false;
  }

  /** The configuration as of now; re-reads the directory only when a file changed. */
  current(): LoadedConfig {
    if (this.#current && this.#trustedSince !== undefined && performance.now() - this.#trustedSince < RECHECK_MS) return this.#current;
    const fp = fingerprint(this.dir);
    this.#trustedSince = this.#watch && this.#watchAll() ? performance.now() : undefined;
    if (this.#current && fp === this.#fp) return this.#current;
    this.#current = loadConfigDir(this.dir, this.#current);
    this.#fp = fp;
    this.#onReload?.(this.#current);
    return this.#current;
  }

  /** Stops watching (the server's shutdown). */
  close(): void {
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
    this.#trustedSince = undefined;
  }

  /** Watches every directory not yet watched; true when all are (a missing one is seen appearing by its parent). */
  #watchAll(): boolean {
    let all = true;
    for (const sub of WATCHED) {
      if (this.#watchers.has(sub)) continue;
      try {
        const w = watch(join(this.dir, sub), { persistent: false }, () => this.#changed());
        w.on('error', () => this.#changed());
        this.#watchers.set(sub, w);
      } catch (err) {
        // A directory not there yet is fine once the config directory itself is watched: its creation is an event.
        if (!(sub !== '.' && this.#watchers.has('.') && (err as NodeJS.ErrnoException).code === 'ENOENT')) all = false;
      }
    }
    return all;
  }

  /** Any event: fingerprint at the next read, and watch afresh (a directory replaced by a new one is watched anew). */
  #changed(): void {
    this.close();
  }
}
