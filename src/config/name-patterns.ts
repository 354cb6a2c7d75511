/**
 * The name patterns the configuration checks, kept apart because environment,
 * plugin and global options use them, and so does code outside the schema
 * (config loading, accounts, datasets, container names on the engine).
 */
/** Characters allowed in environment, plugin and container names. */
export const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
/** An ISLET's name on the engine: the first part of its container names, so no dot. */
export const instancePattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/;
