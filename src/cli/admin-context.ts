/**
 * Composition for the admin commands: the same store, driver, runner and
 * lifecycle the server uses, opened on the same config and data dirs.
 */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { AdminService } from '../admin/admin-service.ts';
import { ConfigSource } from '../config/config-source.ts';
import { IsletError } from '../core/islet-error.ts';
import { LifecycleService } from '../lifecycle/lifecycle-service.ts';
import { claimEngine } from '../lifecycle/ownership.ts';
import { createLogger } from '../logger.ts';
import { DockerDriver } from '../runtime/docker/index.ts';
import { EnvironmentRunner } from '../sessions/environment-runner.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { Authenticator } from '../sessions/authenticator.ts';
import { AccountService } from '../accounts/account-service.ts';
import { optionValue } from './options.ts';
import { sshPublicKeys } from '../sshd/public-keys.ts';

export interface AdminContext {
  readonly admin: AdminService;
  /** The start-up ownership check of `islet serve`, for `islet reap` (src/lifecycle/ownership.ts). */
  readonly claim: (takeOver: boolean) => Promise<number>;
  readonly close: () => void;
}

export function openAdmin(flags: Record<string, string | boolean | undefined>): AdminContext {
  const dataDir = optionValue('data', flags);
  const db = join(dataDir, 'islet.db');
  if (!existsSync(db)) throw new IsletError('ADMIN_NOT_FOUND', `no ISLET database at ${db}`, `no ISLET database at ${db} (use --data or ISLET_DATA)`);
  const store = new SqliteStore(db);
  const driver = new DockerDriver();
  // Admin commands log to stderr so their stdout stays the report.
  const log = createLogger({ level: optionValue('logLevel', flags), destination: 2 });
  const config = new ConfigSource(optionValue('config', flags));
  const instance = process.env.ISLET_INSTANCE || 'islet';
  const runner = new EnvironmentRunner({ driver, store, log, instance });
  const lifecycle = new LifecycleService({ store, driver, config, log, instance, attached: runner.attached, exportDir: join(dataDir, 'exports') });
  const auth = new Authenticator(config, new AccountService(store), store, undefined, sshPublicKeys);
  return { admin: new AdminService({ store, driver, runner, lifecycle, instance, config, auth, log, exportDir: join(dataDir, 'exports') }),
    claim: (takeOver: boolean) => claimEngine({ store, driver, instance, dataDir, log, takeOver }),
    close: () => { store.close(); log.flush(); } };
}
