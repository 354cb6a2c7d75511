/**
 * `islet accounts create`: accounts in bulk (src/admin/bulk-accounts.ts) with a printable credential sheet
 * and a CSV (src/admin/credential-sheet.ts). The files are written 0600 and never overwritten (they hold
 * passphrases, and a refusal after the accounts exist would lose them: both are checked first); without
 * --sheet and --csv the CSV goes to stdout. Waits until every new account has its full-cost hash.
 */
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import type { AdminService } from '../../admin/admin-service.ts';
import { credentialsCsv, sheetHtml, slipsOf } from '../../admin/credential-sheet.ts';

type Flags = Record<string, string | boolean | undefined>;

export const ACCOUNTS_CREATE_USAGE =
  'islet accounts create --count N --prefix P --days D [--environments a,b] [--sheet file.html] [--csv file.csv] [--address host:port] [--url https://host]';

/** Writes a new file readable by its owner only; refuses an existing one. */
function writeSecret(path: string, text: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

const str = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);

export async function accountsCreate(admin: AdminService, f: Flags, args: string[]): Promise<number> {
  const count = Number(str(f.count));
  const days = Number(str(f.days));
  const prefix = str(f.prefix);
  if (args.length || !prefix || !str(f.count) || !str(f.days)) {
    console.error(`usage: ${ACCOUNTS_CREATE_USAGE}`);
    return 3;
  }
  const files = [str(f.sheet), str(f.csv)].filter((p): p is string => !!p);
  for (const p of files)
    if (existsSync(p)) {
      console.error(`islet: ${p} exists; credential files are never overwritten`);
      return 3;
    }
  const environments = (str(f.environments) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const creds = await admin.createAccounts({ prefix, count, days, ...(environments.length ? { environments } : {}) });
  const target = admin.sheetTarget({ ...(str(f.address) ? { address: str(f.address)! } : {}), ...(str(f.url) ? { url: str(f.url)! } : {}) });
  const slips = await slipsOf(creds, target);
  if (str(f.sheet)) writeSecret(str(f.sheet)!, sheetHtml(slips, target));
  if (str(f.csv)) writeSecret(str(f.csv)!, credentialsCsv(slips));
  if (files.length === 0) process.stdout.write(credentialsCsv(slips));
  await admin.sealed();
  const names = creds.map((c) => c.name);
  console.error(`created ${creds.length} account(s) ${names[0]} .. ${names.at(-1)}${files.length ? `; credentials in ${files.join(' and ')}` : ''}`);
  return 0;
}
