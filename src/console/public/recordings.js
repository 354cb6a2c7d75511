// Recordings (issue 13.7): every session's recording per account, with its size, start, duration and
// state (live = still being written, partial = its server was killed, truncated = past the size cap);
// Play opens the player page (/console/recordings/play, src/console/recordings-routes.ts) in a new tab.
// Trainee-controlled strings only ever reach the page as textContent.
const el = (tag, props = {}, ...children) => {
  const e = document.createElement(tag);
  Object.assign(e, props);
  e.append(...children);
  return e;
};

const size = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);
const duration = (s) => (s < 60 ? `${s.toFixed(0)} s` : s < 3600 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${(s / 3600).toFixed(1)} h`);

export async function mount(root, api) {
  const account = el('input', { className: 'recordings-account', type: 'search', placeholder: 'Account (all when empty)', maxLength: 40 });
  const refresh = el('button', { type: 'submit', textContent: 'Show' });
  const status = el('p', { className: 'recordings-status', role: 'status' });
  const body = el('tbody');
  const titles = ['Account', 'Login', 'Door', 'Started', 'Duration', 'Size', 'State', ''];
  const head = el('thead', {}, el('tr', {}, ...titles.map((h) => el('th', { textContent: h }))));
  const form = el('form', { className: 'recordings-form' }, el('label', {}, 'Account ', account), refresh);
  root.append(form, status, el('table', { className: 'recordings' }, head, body));

  async function load() {
    const q = account.value.trim();
    status.textContent = 'Loading…';
    try {
      const list = await api.get(`/console/api/recordings${q ? `?account=${encodeURIComponent(q)}` : ''}`);
      body.replaceChildren(
        ...list.map((r) => {
          const state = [r.state, ...(r.truncated ? ['truncated'] : []), ...(r.input ? ['input recorded'] : [])].join(', ');
          const play = el('a', { href: `/console/recordings/play?id=${encodeURIComponent(r.id)}`, target: '_blank', rel: 'noopener', textContent: 'Play' });
          const row = el(
            'tr',
            { className: `recording state-${r.state}` },
            el('td', { textContent: r.account }),
            el('td', { textContent: r.login }),
            el('td', { textContent: r.door }),
            el('td', { textContent: new Date(r.start).toLocaleString() }),
            el('td', { textContent: duration(r.seconds) }),
            el('td', { textContent: size(r.bytes) }),
            el('td', { className: 'recording-state', textContent: state }),
            el('td', {}, play),
          );
          row.dataset.id = r.id;
          return row;
        }),
      );
      status.textContent = `${list.length} recording(s)`;
    } catch (e) {
      status.textContent = e.message;
    }
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void load();
  });
  // Another panel (the roster) may ask for one account's recordings.
  root.addEventListener('console-focus', (e) => {
    if (e.detail?.account) account.value = e.detail.account;
    void load();
  });
  await load();
}
