/**
 * Original ISLET `.conf` files, read as data and never executed.
 *
 * The loader parses each file of a chain (islet.conf → modules/docker.conf →
 * an environment or plugin file) with {@link parseLegacyConf}, passing the
 * previous file's variables as `inherited`, then maps the merged variables
 * onto the schema with {@link mapLegacy}. Grammar and mapping:
 * docs/legacy-conf.md.
 *
 * @example
 * const g = parseLegacyConf(read('islet.conf'), 'islet.conf', new Map());
 * const m = parseLegacyConf(read('modules/docker.conf'), 'modules/docker.conf', g.vars);
 * const e = parseLegacyConf(read('environments/bro.conf'), 'environments/bro.conf', m.vars);
 * const own = new Set([...e.vars].filter(([k, v]) => m.vars.get(k) !== v).map(([k]) => k));
 * const { environment, issues } = mapLegacy(e.vars, 'environment', 'environments/bro.conf', own);
 * @module
 */
export { parseLegacyConf, type LegacyVar, type ParsedLegacyConf } from './parse-legacy-conf.ts';
export { mapLegacy, pluginScripts, type LegacyGlobalInput, type LegacyKind, type LegacyMapped, type Origin } from './map-legacy.ts';
export { sessionVariables } from './variables.ts';
