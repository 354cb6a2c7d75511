/**
 * The single source of truth for ISLET's configuration: types, defaults,
 * validation and the generated reference (docs/config-reference.md).
 * YAML files are validated against it directly; legacy ISLET `.conf` files
 * are parsed and mapped onto the same shapes (src/config/legacy/).
 *
 * This file is the schema's public face: the rest of ISLET imports from it.
 * It re-exports the sections, which live in files of their own
 * (environment-schema.ts, global-schema.ts, plugin-schema.ts) and share
 * building blocks (unit-fields.ts, ulimits-and-capabilities.ts, name-patterns.ts).
 */
export { environmentDefaultsSchema, environmentFields, environmentSchema } from './environment-schema.ts';
export type { Environment, EnvironmentDefaultsInput, EnvironmentInput } from './environment-schema.ts';
export { globalFields, globalSchema } from './global-schema.ts';
export type { GlobalConfig, GlobalInput } from './global-schema.ts';
export { instancePattern, namePattern } from './name-patterns.ts';
export { defaultPlugins, pluginActions, pluginSchema } from './plugin-schema.ts';
export type { Plugin, PluginAction, PluginInput } from './plugin-schema.ts';
export { capabilityNames, ulimitNames } from './ulimits-and-capabilities.ts';
