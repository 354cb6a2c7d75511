/**
 * Every name ISLET gives to things on the engine, made and parsed here only: container labels, container
 * names, network names. The store can be rebuilt from these (docs/lifecycle.md), so they never change
 * meaning: a label or name format here is a contract with every engine ISLET has run on.
 */

/** Labels put on every trainee instance; the store can be rebuilt from them. */
export const LABEL_MANAGED = 'islet.managed';
export const LABEL_ACCOUNT = 'islet.account';
export const LABEL_ENVIRONMENT = 'islet.environment';
/** Container name prefix of the ISLET that made it (the `instance` setting): what its reconciler lists. */
export const LABEL_INSTANCE = 'islet.instance';
/** Id of the store (data directory) that made it: what proves ownership (src/lifecycle/ownership.ts). */
export const LABEL_STORE = 'islet.store';
/** A warm-pool container (src/sessions/warm-pool.ts); unclaimed while its name has POOL_MARK. */
export const LABEL_POOL = 'islet.pool';
/** One-off containers of `islet run` (src/cli/commands/run.ts). */
export const LABEL_RUN = 'islet.run';
/** Build containers, so a crashed build's leftovers can be found (`docker ps -a --filter label=islet.build`). */
export const LABEL_BUILD = 'islet.build';
/** Put by tests on everything they make (the run id), so a run removes its own things only. */
export const LABEL_TEST = 'islet.test';
/** Lab networks and their traffic generators (src/catalogue/lab-network.ts): the environment served. Never islet.instance on them:
 * the reconciler would take a generator for an orphaned trainee container. */
export const LABEL_LAB = 'islet.lab';
export const LABEL_LAB_INSTANCE = 'islet.lab.instance';

/** Catalogue images (src/catalogue/): which program and version an image holds, and the recipe it was built from. */
export const LABEL_PROGRAM = 'org.islet.program';
export const LABEL_VERSION = 'org.islet.version';
/** sha256 of the recipe (and the build script) an image came from: a matching image is not rebuilt. */
export const LABEL_RECIPE = 'org.islet.recipe';
/** Debian suite a catalogue or base image was built from. */
export const LABEL_SUITE = 'org.islet.suite';
/** File capabilities the recipe set (`path=caps;…`): `islet run` adds them to the bounding set. */
export const LABEL_FILE_CAPS = 'org.islet.file-caps';
/** ContainNSM's labels, kept so its filters (`--filter label=organization=opennsm`) still work. */
export const LABEL_CONTAINNSM_PROGRAM = 'program';
export const LABEL_CONTAINNSM_ORG = 'organization';
export const CONTAINNSM_ORG = 'opennsm';

/** Marks an unclaimed warm-pool container's name: `<instance>.<env>.pool-<hex>`. */
export const POOL_MARK = '.pool-';

/** The labels that say whose a trainee container is. */
export function ownerLabels(o: { instance: string; store: string; account: string; environment: string }): Record<string, string> {
  return { [LABEL_INSTANCE]: o.instance, [LABEL_STORE]: o.store, [LABEL_ACCOUNT]: o.account, [LABEL_ENVIRONMENT]: o.environment };
}

/** A trainee container's deterministic name: `<instance>.<environment>.<account>`. */
export function containerName(instance: string, environment: string, account: string): string {
  return `${instance}.${environment}.${account}`;
}

/** An unclaimed warm-pool container's name (`suffix`: random hex); a claim renames it to containerName(). */
export function poolName(instance: string, environment: string, suffix: string): string {
  return `${instance}.${environment}${POOL_MARK}${suffix}`;
}

export function isUnclaimedPoolName(name: string): boolean {
  return name.includes(POOL_MARK);
}

/** The account in a trainee container's name, or undefined when `name` is not `<instance>.<environment>.<account>`. */
export function accountFromName(name: string, instance: string, environment: string): string | undefined {
  const prefix = `${instance}.${environment}.`;
  return name.startsWith(prefix) && name.length > prefix.length ? name.slice(prefix.length) : undefined;
}

/** ISLET's trainee bridge network for `network: bridge` environments. */
export function bridgeNetworkName(instance: string): string {
  return `${instance}-bridge`;
}
