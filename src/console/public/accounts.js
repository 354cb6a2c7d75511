// Act on accounts and make them in bulk (issues 13.5, 13.6): the routes of src/console/accounts-routes.ts.
// Runs under the door's strict CSP: DOM built with textContent only, styles from accounts.css, QR codes as
// data: images, downloads as Blob links. Passphrases are shown once: they live only in this page's memory.
const el = (tag, props = {}, ...children) => {
  const e = document.createElement(tag);
  Object.assign(e, props);
  e.append(...children);
  return e;
};

function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

export async function mount(root, api) {
  let info = await api.get('/console/api/accounts');

  // --- Act on accounts -----------------------------------------------------------------------------
  const filter = el('input', { type: 'search', placeholder: 'Filter names', className: 'acct-filter' });
  const all = el('input', { type: 'checkbox', title: 'Select all shown', className: 'acct-all' });
  const fromRoster = el('button', { type: 'button', textContent: 'Use roster selection' });
  const refresh = el('button', { type: 'button', textContent: 'Refresh' });
  const tbody = el('tbody');
  const table = el(
    'table',
    { className: 'acct-table' },
    el('thead', {}, el('tr', {}, el('th', {}, all), ...['Account', 'Expires', 'Containers'].map((h) => el('th', { textContent: h })))),
    tbody,
  );
  const action = el('select', { className: 'acct-action' }, ...info.actions.map((a) => el('option', { value: a, textContent: a })));
  const envSel = el('select', { className: 'acct-env' });
  const days = el('input', { type: 'number', value: '1', step: 'any', className: 'acct-days', title: 'Days (extend; negative shortens)' });
  const apply = el('button', { type: 'button', textContent: 'Apply to selected', className: 'acct-apply' });
  const exportBtn = el('button', { type: 'button', textContent: 'Export homes of selected', className: 'acct-export' });
  const results = el('ul', { className: 'acct-results', role: 'status' });
  const ticked = new Set();

  function fillEnvs() {
    const each = el('option', { value: '', textContent: 'each it has' });
    envSel.replaceChildren(each, ...info.environments.map((n) => el('option', { value: n, textContent: n })));
  }
  function render() {
    const f = filter.value.trim().toLowerCase();
    tbody.replaceChildren(
      ...info.accounts
        .filter((a) => !f || a.name.toLowerCase().includes(f))
        .map((a) => {
          const box = el('input', { type: 'checkbox', checked: ticked.has(a.name), value: a.name });
          box.dataset.account = a.name;
          box.addEventListener('change', () => (box.checked ? ticked.add(a.name) : ticked.delete(a.name)));
          const containers = a.containers.map((c) => `${c.environment}: ${c.state}${c.stopReason ? ` (${c.stopReason})` : ''}`).join(', ') || '—';
          const cells = [a.name, a.expired ? 'EXPIRED' : a.expires, containers].map((t) => el('td', { textContent: t }));
          const row = el('tr', {}, el('td', {}, box), ...cells);
          row.dataset.account = a.name;
          return row;
        }),
    );
  }
  async function reload() {
    info = await api.get('/console/api/accounts');
    for (const n of [...ticked]) if (!info.accounts.some((a) => a.name === n)) ticked.delete(n);
    render();
  }
  const show = (lines) => results.replaceChildren(...lines.map((l) => el('li', { textContent: l.text, className: l.ok ? 'ok' : 'bad' })));

  filter.addEventListener('input', render);
  all.addEventListener('change', () => {
    for (const box of tbody.querySelectorAll('input[type=checkbox]')) {
      box.checked = all.checked;
      all.checked ? ticked.add(box.value) : ticked.delete(box.value);
    }
  });
  fromRoster.addEventListener('click', () => {
    for (const n of api.selection?.() ?? []) ticked.add(n);
    render();
  });
  refresh.addEventListener('click', () => reload().catch((e) => show([{ text: e.message }])));
  action.addEventListener('change', () => (days.hidden = action.value !== 'extend'));
  days.hidden = true;

  apply.addEventListener('click', async () => {
    const accounts = [...ticked];
    if (accounts.length === 0) return show([{ text: 'Select accounts first.' }]);
    const a = action.value;
    const why = a === 'reset' ? 'Their homes start afresh.' : 'Their containers are removed.';
    if (['reset', 'expire', 'remove'].includes(a) && !confirm(`${a} ${accounts.length} account(s)? ${why}`)) return;
    apply.disabled = true;
    show([{ text: `${a}: ${accounts.length} account(s)…` }]);
    try {
      const body = { action: a, accounts };
      if (envSel.value) body.environment = envSel.value;
      if (a === 'extend') body.days = Number(days.value);
      const r = await api.post('/console/api/accounts/action', body);
      show(r.results.map((x) => ({ ok: x.ok, text: `${x.account}: ${x.message}` })));
      await reload();
    } catch (err) {
      show([{ text: err.message }]);
    } finally {
      apply.disabled = false;
    }
  });

  exportBtn.addEventListener('click', async () => {
    const accounts = [...ticked];
    if (accounts.length === 0) return show([{ text: 'Select accounts first.' }]);
    exportBtn.disabled = true;
    show([{ text: `Exporting ${accounts.length} home(s)…` }]);
    try {
      const body = { accounts };
      if (envSel.value) body.environment = envSel.value;
      const r = await api.post('/console/api/accounts/export', body);
      show([...r.files.map((f) => ({ ok: true, text: f })), ...r.problems.map((p) => ({ text: `${p.account}: ${p.message}` }))]);
      const a = el('a', { href: r.download, download: '' });
      document.body.append(a);
      a.click();
      a.remove();
    } catch (err) {
      show([{ text: err.message }]);
    } finally {
      exportBtn.disabled = false;
    }
  });

  // --- Accounts in bulk ----------------------------------------------------------------------------
  const prefix = el('input', { required: true, pattern: '[A-Za-z][A-Za-z0-9]{0,23}', value: 'trainee', className: 'bulk-prefix' });
  const count = el('input', { type: 'number', min: '1', max: String(info.maxBulk), value: '10', required: true, className: 'bulk-count' });
  const bdays = el('input', { type: 'number', min: '0.01', step: 'any', value: '1', required: true, className: 'bulk-days' });
  const envBoxes = el('span', { className: 'bulk-envs' });
  const create = el('button', { type: 'submit', textContent: 'Create accounts' });
  const bulkOut = el('div', { className: 'bulk-out' });
  const form = el(
    'form',
    { className: 'bulk-form' },
    el('label', {}, 'Prefix ', prefix),
    el('label', {}, 'Count ', count),
    el('label', {}, 'Days ', bdays),
    el('span', {}, 'Environments allowed (none ticked: all) ', envBoxes),
    create,
  );
  function fillEnvBoxes() {
    envBoxes.replaceChildren(
      ...info.environments.map((n) => {
        const box = el('input', { type: 'checkbox', value: n });
        box.dataset.environment = n;
        return el('label', {}, box, ` ${n} `);
      }),
    );
  }

  function slipOf(s) {
    const slip = el('section', { className: 'slip' });
    if (s.qr) slip.append(el('img', { src: s.qr, alt: `QR code of ${s.url}`, className: 'qr' }));
    const line = (k, v, cls = 'v') =>
      slip.append(el('p', {}, el('span', { className: 'k', textContent: k }), ' ', el('span', { className: cls, textContent: v })));
    line('Username', s.name, 'cred');
    line('Password', s.password, 'cred');
    line('SSH', s.ssh);
    if (s.url) line('Browser', s.url);
    line('Expires', s.expires);
    if (s.environments.length) line('Environments', s.environments.join(', '));
    return slip;
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    create.disabled = true;
    bulkOut.replaceChildren(el('p', { textContent: 'Creating…' }));
    try {
      const environments = [...envBoxes.querySelectorAll('input:checked')].map((b) => b.value);
      const r = await api.post('/console/api/accounts/bulk', { prefix: prefix.value, count: Number(count.value), days: Number(bdays.value), environments });
      const print = el('button', { type: 'button', textContent: 'Print sheet' });
      const html = el('button', { type: 'button', textContent: 'Download sheet (HTML)' });
      const csv = el('button', { type: 'button', textContent: 'Download CSV' });
      const done = el('button', { type: 'button', textContent: 'Done: forget these passwords' });
      const slips = el('div', { className: 'acct-slips' }, ...r.slips.map(slipOf));
      print.addEventListener('click', () => {
        document.body.classList.add('acct-printing');
        window.print();
        document.body.classList.remove('acct-printing');
      });
      html.addEventListener('click', () => download(`islet-accounts-${stamp()}.html`, 'text/html', r.sheet));
      csv.addEventListener('click', () => download(`islet-accounts-${stamp()}.csv`, 'text/csv', r.csv));
      done.addEventListener('click', () => bulkOut.replaceChildren());
      bulkOut.replaceChildren(
        el('p', {
          className: 'bulk-warning',
          textContent: `${r.slips.length} account(s) created. The passwords are shown only now: print or download them before leaving.`,
        }),
        el('div', { className: 'bulk-buttons' }, print, html, csv, done),
        slips,
      );
      await reload();
    } catch (err) {
      bulkOut.replaceChildren(el('p', { className: 'error', textContent: err.message }));
    } finally {
      create.disabled = false;
    }
  });

  fillEnvs();
  fillEnvBoxes();
  render();
  root.append(
    el('h3', { textContent: 'Act on accounts' }),
    el('div', { className: 'acct-controls' }, filter, fromRoster, refresh),
    table,
    el('div', { className: 'acct-controls' }, el('label', {}, 'Action ', action), el('label', {}, 'Environment ', envSel), days, apply, exportBtn),
    results,
    el('h3', { textContent: 'Accounts in bulk' }),
    form,
    bulkOut,
  );
}
