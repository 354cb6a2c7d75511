/**
 * Admin commands over AdminService: accounts, extend, expire, reset, remove, reap.
 */
import { formatDate, formatRemaining } from '../../accounts/account-service.ts';
import type { AdminService } from '../../admin/admin-service.ts';
import type { ReconcileAction } from '../../lifecycle/policy.ts';
import { parseDurationSeconds } from '../../config/units.ts';
import { openAdmin, type AdminContext } from '../admin-context.ts';
import { readFileSync } from 'node:fs';
import { ACCOUNTS_CREATE_USAGE, accountsCreate } from './accounts-create.ts';

type Flags = Record<string, string | boolean | undefined>;

async function withAdmin(flags: Flags, fn: (a: AdminService, claim: AdminContext['claim']) => Promise<number>): Promise<number> {
  const { admin, claim, close } = await openAdmin(flags);
  try {
    return await fn(admin, claim);
  } finally {
    await close();
  }
}

function usage(text: string): number {
  console.error(`usage: islet ${text}`);
  return 3;
}

export function describeAction(a: ReconcileAction): string {
  switch (a.kind) {
    case 'remove':
      return `remove container ${a.name} (${a.reason})`;
    case 'adopt':
      return `adopt container ${a.ownership.containerName} for ${a.ownership.account}/${a.ownership.environment}`;
    case 'forget':
      return `forget ${a.account}/${a.environment}: ${a.reason}`;
    case 'sync_state':
      return `record ${a.account}/${a.environment} as ${a.state}`;
    case 'delete_account':
      return `delete account ${a.account} (${a.reason})`;
  }
}

export const adminCommands = {
  accounts: {
    help:
      'List accounts with their expiry, password-login pauses and containers with their state (--json for machines); ' +
      `${ACCOUNTS_CREATE_USAGE}: make accounts in bulk with generated passphrases (a printable sheet and a CSV, written 0600)`,
    run: (f: Flags, args: string[]) =>
      withAdmin(f, async (a) => {
        if (args[0] === 'create') return accountsCreate(a, f, args.slice(1));
        const list = await a.listAccounts();
        if (f.json) {
          console.log(JSON.stringify(list, null, 2));
          return 0;
        }
        const now = new Date();
        for (const acct of list) {
          console.log(`${acct.name}  ${acct.expired ? 'EXPIRED' : `expires ${formatDate(acct.expiresAt)} (in ${formatRemaining(now, acct.expiresAt)})`}`);
          if (acct.throttledUntil)
            console.log(
              `  THROTTLED: password logins paused until ${formatDate(acct.throttledUntil)} (${formatRemaining(now, acct.throttledUntil)}); islet unlock ${acct.name}`,
            );
          for (const c of acct.containers)
            console.log(`  ${c.environment.padEnd(16)} ${c.state.padEnd(8)} ${c.name}${c.stopReason ? `  last stop: ${c.stopReason}` : ''}`);
        }
        console.log(
          `${list.length} account(s), ${list.reduce((n, x) => n + x.containers.filter((c) => c.state === 'running').length, 0)} running container(s)`,
        );
        return 0;
      }),
  },
  extend: {
    help: 'Extend an account, or --all accounts (the event), by a duration: islet extend <account|--all> <duration e.g. 1d>',
    run: (f: Flags, args: string[]) =>
      withAdmin(f, async (a) => {
        const [who, dur] = f.all ? ['', args[0]] : args;
        const secs = dur === undefined ? undefined : parseDurationSeconds(dur);
        if (secs === undefined || (!f.all && !who)) return usage('extend <account|--all> <duration>');
        if (f.all) {
          console.log(`extended ${await a.extendAll(secs)} account(s) by ${dur}`);
          return 0;
        }
        console.log(`${who} now expires ${formatDate(await a.extend(who!, secs))}`);
        return 0;
      }),
  },
  expire: {
    help: 'Expire an account now: its containers are removed and the account deleted',
    run: (f: Flags, args: string[]) =>
      withAdmin(f, async (a) => {
        if (!args[0]) return usage('expire <account>');
        for (const x of await a.expireNow(args[0])) console.log(describeAction(x));
        return 0;
      }),
  },
  reset: {
    help: "Remove one environment's container of an account (it starts fresh): islet reset <account> <environment>",
    run: (f: Flags, args: string[]) =>
      withAdmin(f, async (a) => {
        if (!args[0] || !args[1]) return usage('reset <account> <environment>');
        console.log((await a.resetEnvironment(args[0], args[1])) ? `reset ${args[0]}/${args[1]}` : `${args[0]} had no ${args[1]} container`);
        return 0;
      }),
  },
  remove: {
    help: 'Remove an account and all of its containers',
    run: (f: Flags, args: string[]) =>
      withAdmin(f, async (a) => {
        if (!args[0]) return usage('remove <account>');
        await a.removeAccount(args[0]);
        console.log(`removed ${args[0]}`);
        return 0;
      }),
  },
  export: {
    help: "Archive a trainee's home as .tar.gz for the instructor: islet export <account> [environment] (files go to <data>/exports)",
    run: (f: Flags, args: string[]) =>
      withAdmin(f, async (a) => {
        if (!args[0]) return usage('export <account> [environment]');
        for (const file of await a.exportAccount(args[0], args[1])) console.log(file);
        return 0;
      }),
  },
  keys: {
    help: 'Enroll SSH public keys for direct login from an authorized_keys file: islet keys <account> <file>',
    run: (f: Flags, args: string[]) =>
      withAdmin(f, async (a) => {
        if (!args[0] || !args[1]) return usage('keys <account> <authorized_keys file>');
        const r = await a.importKeys(args[0], readFileSync(args[1], 'utf8'));
        for (const p of r.problems) console.log(`skipped ${p}`);
        console.log(`added ${r.added} key(s) for ${args[0]}`);
        return r.problems.length ? 1 : 0;
      }),
  },
  unlock: {
    help: "End the pause of an account's password logins after too many wrong passwords: islet unlock <account>",
    run: (f: Flags, args: string[]) =>
      withAdmin(f, async (a) => {
        if (!args[0]) return usage('unlock <account>');
        console.log((await a.unlock(args[0])) ? `unlocked ${args[0]}` : `${args[0]} was not throttled`);
        return 0;
      }),
  },
  reap: {
    help: 'Reconcile the store with the engine now: remove expired and orphaned containers, adopt and repair, remove lab networks no container uses (--dry-run prints only); refuses when containers of another data directory share the instance name (--take-over adopts them)',
    run: (f: Flags) =>
      withAdmin(f, async (a, claim) => {
        // Like `islet serve`: a wrong --data must not reap another ISLET's trainees (src/lifecycle/ownership.ts). A dry run never takes over.
        await claim(!f['dry-run'] && f['take-over'] === true);
        const actions = await a.reap(!!f['dry-run']);
        for (const x of actions) console.log(`${f['dry-run'] ? 'would ' : ''}${describeAction(x)}`);
        // After the containers: a lab whose last trainee container was just removed is idle now.
        const labs = await a.reapLabs(!!f['dry-run']);
        for (const l of labs) console.log(`${f['dry-run'] ? 'would ' : ''}remove lab network ${l.network} and its traffic generator (no container uses it)`);
        if (actions.length === 0 && labs.length === 0) console.log('nothing to do');
        return 0;
      }),
  },
} as const;
