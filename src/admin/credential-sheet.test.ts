import { test } from 'node:test';
import assert from 'node:assert/strict';
import { credentialsCsv, sheetHtml, sheetTarget, slipsOf, sshCommand } from './credential-sheet.ts';

const creds = [
  { name: 'lab01', password: 'armrest-unplug-tidbit-glory', expiresAt: new Date('2026-12-01T10:00:00Z'), environments: ['shell'] },
  { name: 'lab02', password: 'zesty-oat-plaza-mocha', expiresAt: new Date('2026-12-01T10:00:00Z') },
];

test('ssh commands: default port omitted, another port given with -p', () => {
  assert.equal(sshCommand('a', 'islet.example.org'), 'ssh a@islet.example.org');
  assert.equal(sshCommand('a', 'islet.example.org:22'), 'ssh a@islet.example.org');
  assert.equal(sshCommand('a', '10.0.0.5:2222'), 'ssh -p 2222 a@10.0.0.5');
  assert.equal(sshCommand('a', ''), 'ssh a@<this host>');
});

test('the target comes from public_address and the first web origin; overrides win', () => {
  const g = { public_address: 'h:2222', web_origins: ['https://h.example'] };
  assert.deepEqual(sheetTarget(g, 'ev'), { address: 'h:2222', url: 'https://h.example/', title: 'ISLET ev' });
  assert.deepEqual(sheetTarget({ public_address: '', web_origins: [] }, 'ev', { url: 'http://x:8080/' }), {
    address: '',
    url: 'http://x:8080/',
    title: 'ISLET ev',
  });
});

test('one slip per account with username, passphrase, ssh line, link and a QR code of the link (SVG data: URL)', async () => {
  const target = { address: 'h:2222', url: 'https://h.example/', title: 'Event <b>&' };
  const slips = await slipsOf(creds, target);
  const html = sheetHtml(slips, target);
  assert.equal(html.match(/<section class="slip">/g)?.length, 2);
  for (const c of creds) {
    assert.ok(html.includes(`<span class="k">Username</span> <span class="cred">${c.name}</span>`));
    assert.ok(html.includes(`<span class="k">Password</span> <span class="cred">${c.password}</span>`));
    assert.ok(html.includes(`ssh -p 2222 ${c.name}@h`));
  }
  assert.ok(html.includes('Event &#60;b&#62;&#38;') && !html.includes('<b>&'), 'the title is escaped');
  assert.ok(!/<script/i.test(html));
  const qr = /src="data:image\/svg\+xml;base64,([^"]+)"/.exec(html);
  assert.ok(qr, 'a QR image');
  assert.match(Buffer.from(qr[1]!, 'base64').toString(), /^<svg[^>]*viewBox/);
  // No link: no browser line and no QR code.
  const bare = sheetHtml(await slipsOf(creds, { ...target, url: '' }), target);
  assert.ok(!bare.includes('<img') && !bare.includes('Browser'));
});

test('CSV: a header and a row per account, quoted where needed, no spreadsheet formulas', async () => {
  const slips = await slipsOf(creds, { address: 'h', url: 'https://h/', title: 't' });
  const lines = credentialsCsv(slips).split('\r\n');
  assert.equal(lines[0], 'username,password,expires,environments,ssh,url');
  assert.equal(lines[1], 'lab01,armrest-unplug-tidbit-glory,Tue Dec 01 10:00:00 2026 UTC,shell,ssh lab01@h,https://h/');
  assert.equal(lines.length, 4); // two rows and the final CRLF
  const odd = credentialsCsv([{ ...slips[0]!, name: '=cmd()', password: 'a,"b"' }]).split('\r\n')[1];
  assert.equal(odd?.split(',')[0], "'=cmd()");
  assert.ok(odd?.includes('"a,""b"""'));
});
