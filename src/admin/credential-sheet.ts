/**
 * What an instructor hands out after making accounts in bulk (bulk-accounts.ts): a printable HTML sheet with
 * one slip per trainee (how to connect over SSH, the browser link, username, passphrase, expiry, allowed
 * environments, and a QR code of the browser link) and a CSV of the same. Both carry plain passphrases:
 * they are produced once, never stored by ISLET (the CLI writes them 0600, the console hands them to the page).
 *
 * The QR code is an SVG image in a data: URL (the web door's CSP allows img-src data:), so the same slips
 * render in the console page, whose CSP forbids inline styles, and in the standalone sheet file.
 */
import QRCode from 'qrcode';
import { formatDate } from '../accounts/account-service.ts';
import type { Credential } from './bulk-accounts.ts';

export interface SheetTarget {
  /** The SSH door, `host` or `host:port` (public_address); empty: `<this host>`. */
  readonly address: string;
  /** The browser door's page, e.g. `https://islet.example.org/`; empty: no browser line and no QR code. */
  readonly url: string;
  /** A heading on every slip (the instance name). */
  readonly title: string;
}

export interface Slip {
  readonly name: string;
  readonly password: string;
  readonly expires: string;
  readonly environments: readonly string[];
  /** The command to type, e.g. `ssh -p 2222 alice@islet.example.org`. */
  readonly ssh: string;
  readonly url: string;
  /** data:image/svg+xml of the browser link's QR code ('' without a link). */
  readonly qr: string;
}

export function sshCommand(name: string, address: string): string {
  const addr = address || '<this host>';
  const at = addr.lastIndexOf(':');
  const [host, port] = at > 0 && !addr.endsWith(']') ? [addr.slice(0, at), addr.slice(at + 1)] : [addr, ''];
  return `ssh ${port && port !== '22' ? `-p ${port} ` : ''}${name}@${host}`;
}

export async function qrDataUrl(text: string): Promise<string> {
  const svg = await QRCode.toString(text, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}

export async function slipsOf(creds: readonly Credential[], target: SheetTarget): Promise<Slip[]> {
  const qr = target.url ? await qrDataUrl(target.url) : '';
  return creds.map((c) => ({
    name: c.name,
    password: c.password,
    expires: formatDate(c.expiresAt),
    environments: c.environments ?? [],
    ssh: sshCommand(c.name, target.address),
    url: target.url,
    qr,
  }));
}

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * The standalone sheet (a file opened in a browser and printed): one slip a row, never split across pages,
 * each fact a line of its own with the passphrase never wrapped (so it is read, and extracted from a PDF, whole).
 */
export function sheetHtml(slips: readonly Slip[], target: SheetTarget): string {
  const line = (k: string, v: string, cls = '') => `<p><span class="k">${k}</span> <span class="${cls || 'v'}">${esc(v)}</span></p>`;
  const slip = (s: Slip) =>
    [
      '<section class="slip">',
      s.qr ? `<img class="qr" alt="QR code of ${esc(s.url)}" src="${s.qr}">` : '',
      `<h2>${esc(target.title)}</h2>`,
      line('Username', s.name, 'cred'),
      line('Password', s.password, 'cred'),
      line('SSH', s.ssh),
      s.url ? line('Browser', s.url) : '',
      line('Expires', s.expires),
      s.environments.length ? line('Environments', s.environments.join(', ')) : '',
      '</section>',
    ]
      .filter(Boolean)
      .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(target.title)}: ${slips.length} account(s)</title>
<style>
body { font-family: sans-serif; margin: 1cm; }
.slip { break-inside: avoid; border: 1px dashed #555; padding: 0.3cm 0.5cm; margin-bottom: 0.4cm; min-height: 3.8cm; }
.slip h2 { font-size: 11pt; margin: 0 0 0.2cm; }
.slip p { margin: 0.08cm 0; font-size: 10pt; }
.k { color: #444; display: inline-block; min-width: 2.8cm; }
.v { overflow-wrap: anywhere; }
.cred { font-family: monospace; font-size: 13pt; font-weight: bold; white-space: nowrap; }
.qr { float: right; width: 3.2cm; height: 3.2cm; margin-left: 0.4cm; }
</style></head>
<body><main>
${slips.map(slip).join('\n')}
</main></body></html>
`;
}

/** RFC 4180 CSV; a cell that a spreadsheet would read as a formula is prefixed with a quote. */
export function credentialsCsv(slips: readonly Slip[]): string {
  const cell = (v: string) => {
    const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const rows = [['username', 'password', 'expires', 'environments', 'ssh', 'url']];
  for (const s of slips) rows.push([s.name, s.password, s.expires, s.environments.join(' '), s.ssh, s.url]);
  return `${rows.map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;
}

/** The target from the settings: public_address, the first of web_origins (its page at `/`), the instance as title. */
export function sheetTarget(
  global: { readonly public_address: string; readonly web_origins: readonly string[] },
  instance: string,
  override: Partial<SheetTarget> = {},
): SheetTarget {
  const origin = global.web_origins[0];
  return {
    address: override.address || global.public_address,
    url: override.url || (origin ? `${origin}/` : ''),
    title: override.title || `ISLET ${instance}`,
  };
}
