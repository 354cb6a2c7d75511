/**
 * Composition for the admin commands: the object graph of `islet serve` (src/compose.ts: same store,
 * driver, instance, labels, admission, pool, runner and lifecycle), opened on the same config and data
 * dirs, without the front doors and without starting the long-running services.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AdminService } from '../admin/admin-service.ts';
import { adminService, composeGraph, dockerOptions, engineDriver, instanceName, openStore, testRunLabels } from '../compose.ts';
import { ConfigSource } from '../config/config-source.ts';
import { IsletError } from '../core/islet-error.ts';
import { claimEngine } from '../lifecycle/ownership.ts';
import { createLogger } from '../logger.ts';
import { optionValue } from './options.ts';

export interface AdminContext {
  readonly admin: AdminService;
  /** The start-up ownership check of `islet serve`, for `islet reap` (src/lifecycle/ownership.ts). */
  readonly claim: (takeOver: boolean) => Promise<number>;
  readonly close: () => Promise<void>;
}

export async function openAdmin(flags: Record<string, string | boolean | undefined>): Promise<AdminContext> {
  const dataDir = optionValue('data', flags);
  const url = optionValue('store', flags);
  const db = join(dataDir, 'islet.db');
  if (!url && !existsSync(db)) throw new IsletError('ADMIN_NOT_FOUND', `no ISLET database at ${db}`, `no ISLET database at ${db} (use --data or ISLET_DATA)`);
  // Admin commands log to stderr so their stdout stays the report.
  const log = createLogger({ level: optionValue('logLevel', flags), destination: 2 });
  const config = new ConfigSource(optionValue('config', flags));
  const instance = instanceName(config);
  const store = await openStore(dataDir, { url, log });
  const driver = engineDriver(dockerOptions(dataDir, config.current().global.runtime), config.current().global.runtime);
  const g = composeGraph({ config, store, driver, instance, dataDir, log, now: () => new Date(), extraLabels: testRunLabels() });
  return {
    admin: adminService({ graph: g, store, driver, instance, config, dataDir, log }),
    claim: (takeOver: boolean) => claimEngine({ store, driver, instance, dataDir, log, takeOver }),
    close: async () => {
      await g.close();
      driver.close?.();
      await store.close();
      log.flush();
    },
  };
}
