/**
 * Act on accounts and make them in bulk (issue 13.5 and 13.6): the console's routes over AdminService
 * (src/admin/admin-service.ts), the same operations the `islet` admin commands run.
 *
 * - GET  /console/api/accounts: accounts with expiry and containers (engine state), the enabled environments.
 * - POST /console/api/accounts/action {action, accounts[], environment?, days?} (CSRF): stop | start | reset
 *   (a fresh container from the image, started) | extend (by `days`) | expire (as if its time ran out now:
 *   logins refused with the expiry message, containers stopped; the reconciler removes them and deletes the
 *   account as for any expiry) | remove (at once, with its containers), on each selected
 *   account (stop/start/reset: the named environment, else each it has a container for). Engine work runs
 *   ENGINE_PARALLEL accounts at a time, each with a time limit; the answer lists every account's outcome.
 * - POST /console/api/accounts/bulk {prefix, count, days, environments?} (CSRF): creates accounts with
 *   generated passphrases; answers the slips (with QR codes), the CSV and the standalone sheet, once: the
 *   passphrases are kept nowhere (cache-control: no-store).
 * - POST /console/api/accounts/export {accounts[], environment?} (CSRF): archives homes as `islet export`
 *   does and answers a one-time link; GET /console/api/accounts/export/<token> streams them as one .tar.
 *
 * Every change is audited with the instructor's name (guard.audit), one event per account; never a passphrase.
 */
import { basename } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatDate, usernamePattern } from '../accounts/account-service.ts';
import type { AdminService } from '../admin/admin-service.ts';
import { MAX_BULK_COUNT } from '../admin/bulk-accounts.ts';
import { credentialsCsv, sheetHtml, slipsOf } from '../admin/credential-sheet.ts';
import type { ConfigSource } from '../config/config-source.ts';
import { IsletError } from '../core/islet-error.ts';
import type { Store } from '../store/store.ts';
import { hostName, type WebRoutes } from '../web/web-server.ts';
import type { ConsoleGuard } from './console-guard.ts';
import { eachLimited } from './each-limited.ts';
import { HomeDownloads, tarOf } from './home-downloads.ts';

export interface AccountsDeps {
  readonly admin: AdminService;
  readonly store: Store;
  readonly config: ConfigSource;
}

export const ACTIONS = ['stop', 'start', 'reset', 'extend', 'expire', 'remove'] as const;
export type Action = (typeof ACTIONS)[number];
/** Accounts acted on at once (each may make several engine calls; the driver caps them too). */
export const ENGINE_PARALLEL = 3;
const ITEM_TIMEOUT_MS = 120_000;
const EXPORT_TIMEOUT_MS = 600_000;
const MAX_SELECTION = 1000;

const invalid = (message: string) => new IsletError('ADMIN_INVALID', message, message);

function selection(v: unknown): string[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_SELECTION) throw invalid(`accounts: a list of 1 to ${MAX_SELECTION} account names`);
  const bad = v.filter((a) => typeof a !== 'string' || !usernamePattern.test(a));
  if (bad.length) throw invalid(`accounts: ${JSON.stringify(String(bad[0]).slice(0, 40))} is not an account name`);
  return [...new Set(v as string[])];
}

function environmentOf(v: unknown, config: ConfigSource): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || !config.current().environments.some((e) => e.name === v))
    throw invalid(`environment: no environment named ${JSON.stringify(v)}`);
  return v;
}

function errorText(err: unknown): { code: string; message: string } {
  if (err instanceof IsletError) return { code: err.code, message: err.message };
  return { code: 'ENGINE', message: (err instanceof Error ? err.message : String(err)).slice(0, 300) };
}

/** A refused request: 400 with the code and message the page shows. */
async function refuse(reply: FastifyReply, err: unknown) {
  if (!(err instanceof IsletError)) throw err;
  return reply.code(err.code === 'ADMIN_NOT_FOUND' ? 404 : 400).send({ code: err.code, message: err.message });
}

/** The browser door's page as this request reached it (for slips when no web origin is configured). */
function requestOrigin(req: FastifyRequest): string {
  const host = String(req.headers.host ?? '');
  return /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253})(:\d{1,5})?$/.test(host) ? `${req.protocol}://${host}/` : '';
}

export function accountsRoutes(guard: ConsoleGuard, deps: AccountsDeps): WebRoutes {
  const { admin, store, config } = deps;
  const downloads = new HomeDownloads();

  /** One account's stop, start or reset: the named environment, else every one it has a container for. */
  async function onEnvironments(action: 'stop' | 'start' | 'reset', account: string, environment: string | undefined, by: string): Promise<string> {
    if (!(await store.getAccount(account))) throw new IsletError('ADMIN_NOT_FOUND', `no account named ${account}`);
    const envs = environment ? [environment] : (await store.listOwnership(account)).map((o) => o.environment);
    if (envs.length === 0) throw new IsletError('ADMIN_NOT_FOUND', `${account} has no container yet: name an environment`);
    const done: string[] = [];
    for (const env of envs) {
      if (action === 'stop') done.push((await admin.stopEnvironment(account, env, `stopped by instructor ${by}`)) ? `${env} stopped` : `${env}: no container`);
      else if (action === 'start') done.push(`${env} running (${(await admin.startEnvironment(account, env)).slice(0, 12)})`);
      else done.push(`${env} reset (new container ${(await admin.recreateEnvironment(account, env)).slice(0, 12)})`);
    }
    return done.join('; ');
  }

  return (app) => {
    app.get('/console/api/accounts', { preHandler: guard.authenticated }, async () => {
      const accounts = await admin.listAccounts();
      return {
        accounts: accounts.map((a) => ({
          name: a.name,
          expiresAt: a.expiresAt.toISOString(),
          expires: formatDate(a.expiresAt),
          expired: a.expired,
          containers: a.containers.map((c) => ({ environment: c.environment, state: c.state, id: c.containerId.slice(0, 12), stopReason: c.stopReason ?? '' })),
        })),
        environments: config
          .current()
          .environments.filter((e) => e.enabled)
          .map((e) => e.name),
        actions: ACTIONS,
        maxBulk: MAX_BULK_COUNT,
      };
    });

    app.post('/console/api/accounts/action', { preHandler: guard.change }, async (req, reply) => {
      const who = guard.instructorOf(req);
      const body = (req.body ?? {}) as Record<string, unknown>;
      let action: Action;
      let accounts: string[];
      let environment: string | undefined;
      let days = 0;
      try {
        if (!ACTIONS.includes(body.action as Action)) throw invalid(`action: one of ${ACTIONS.join(', ')}`);
        action = body.action as Action;
        accounts = selection(body.accounts);
        environment = environmentOf(body.environment, config);
        if (action === 'extend') {
          days = Number(body.days);
          if (typeof body.days !== 'number' || !Number.isFinite(days) || days === 0 || Math.abs(days) > 3650)
            throw invalid('days: a number of days (not 0, at most 3650; negative shortens)');
        }
      } catch (err) {
        return refuse(reply, err);
      }
      const audit = (account: string, outcome: Record<string, unknown>) =>
        guard.audit(who, `account_${action}`, { account, ...(environment ? { environment } : {}), ...(days ? { days } : {}), ...outcome });
      let results: { account: string; ok: boolean; message: string; code?: string }[];
      if (action === 'expire') {
        // As if their time ran out now: logins refused, shells stopped; the reconciler removes the rest.
        const { unknown } = await admin.expireMany(accounts, `expired by instructor ${who}`);
        results = accounts.map((account) =>
          unknown.includes(account)
            ? { account, ok: false, code: 'ADMIN_NOT_FOUND', message: `no account named ${account}` }
            : { account, ok: true, message: 'expired: logins refused, containers stopped (removed at the next reconcile)' },
        );
      } else {
        const run = async (account: string): Promise<string> => {
          if (action === 'extend') return `now expires ${formatDate(await admin.extend(account, days * 86_400))}`;
          if (action === 'remove') {
            await admin.removeAccount(account);
            return 'removed with its containers';
          }
          return onEnvironments(action, account, environment, who);
        };
        const outcomes = await eachLimited(accounts, ENGINE_PARALLEL, ITEM_TIMEOUT_MS, run);
        results = outcomes.map((o) => (o.ok ? { account: o.item, ok: true, message: String(o.value) } : { account: o.item, ok: false, ...errorText(o.error) }));
      }
      for (const r of results) audit(r.account, r.ok ? { ok: true } : { ok: false, code: r.code, error: r.message });
      return { action, results };
    });

    app.post('/console/api/accounts/bulk', { preHandler: guard.change }, async (req, reply) => {
      const who = guard.instructorOf(req);
      const b = (req.body ?? {}) as Record<string, unknown>;
      const environments = Array.isArray(b.environments) ? (b.environments as string[]) : b.environments === undefined ? [] : (b.environments as never);
      let creds;
      try {
        creds = await admin.createAccounts({ prefix: b.prefix as string, count: b.count as number, days: b.days as number, environments });
      } catch (err) {
        return refuse(reply, err);
      }
      const t = admin.sheetTarget();
      const target = { ...t, address: t.address || hostName(req.headers.host), url: t.url || requestOrigin(req) };
      const slips = await slipsOf(creds, target);
      guard.audit(who, 'accounts_created', {
        prefix: b.prefix,
        count: creds.length,
        accounts: creds.map((c) => c.name),
        ...(environments.length ? { environments } : {}),
      });
      return reply.header('cache-control', 'no-store').send({ slips, csv: credentialsCsv(slips), sheet: sheetHtml(slips, target), title: target.title });
    });

    app.post('/console/api/accounts/export', { preHandler: guard.change }, async (req, reply) => {
      const who = guard.instructorOf(req);
      const body = (req.body ?? {}) as Record<string, unknown>;
      let accounts: string[];
      let environment: string | undefined;
      try {
        accounts = selection(body.accounts);
        environment = environmentOf(body.environment, config);
      } catch (err) {
        return refuse(reply, err);
      }
      // Each export streams from the engine to disk; two at a time keep the engine and the disk responsive.
      const outcomes = await eachLimited(accounts, 2, EXPORT_TIMEOUT_MS, (a) => admin.exportAccount(a, environment));
      const files = outcomes.flatMap((o) => (o.ok ? (o.value as string[]) : []));
      const problems = outcomes.flatMap((o) => (o.ok ? [] : [{ account: o.item, ...errorText(o.error) }]));
      for (const o of outcomes)
        guard.audit(who, 'account_export', {
          account: o.item,
          ...(environment ? { environment } : {}),
          ok: o.ok,
          ...(o.ok ? { files: (o.value as string[]).map((f) => basename(f)) } : {}),
        });
      if (files.length === 0) return reply.code(404).send({ code: 'ADMIN_NOT_FOUND', message: 'nothing to export', problems });
      return { download: `/console/api/accounts/export/${downloads.offer(who, files)}`, files: files.map((f) => basename(f)), problems };
    });

    app.get('/console/api/accounts/export/:token', { preHandler: guard.authenticated }, async (req, reply) => {
      const files = downloads.take(String((req.params as { token?: string }).token ?? ''), guard.instructorOf(req));
      if (!files) return reply.code(404).send({ code: 'ADMIN_NOT_FOUND', message: 'this download link was used, expired, or is not yours' });
      const name = `islet-homes-${new Date().toISOString().replace(/[:.]/g, '-')}.tar`;
      return reply
        .header('content-type', 'application/x-tar')
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('cache-control', 'no-store')
        .send(tarOf(files));
    });
  };
}
