// The instructor console page: login, then the roster (roster.js) and every feature listed in
// features.json, each an ES module exporting mount(element, api). Runs under the door's strict CSP:
// no inline script or style; every piece of data reaches the page through textContent, never HTML.
import { mountRoster } from '/console/static/roster.js';

const $ = (id) => document.getElementById(id);
let csrf = '';

/** A failed console request: `code` is the server's stable code (CONSOLE_UNAUTHENTICATED, …). */
class ConsoleError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function call(method, path, body) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const type = r.headers.get('content-type') || '';
  const data = type.includes('application/json') ? await r.json() : await r.text();
  if (!r.ok) {
    if (r.status === 401 && path !== '/console/login') showLogin('Your console session ended; log in again.');
    throw new ConsoleError(r.status, data?.code ?? 'HTTP_' + r.status, data?.message ?? String(data).slice(0, 200));
  }
  return data;
}

const selectionListeners = new Set();
const rosterListeners = new Set();
let roster;
const tabs = new Map();

/** What every feature module gets: requests with the session's CSRF token, WebSockets to this door, the roster. */
const api = {
  get: (path) => call('GET', path),
  post: (path, body) => call('POST', path, body ?? {}),
  put: (path, body) => call('PUT', path, body ?? {}),
  delete: (path) => call('DELETE', path),
  ws: (path) => new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`),
  get csrf() {
    return csrf;
  },
  instructor: '',
  /** Account names ticked in the roster. */
  selection: () => roster?.selection() ?? [],
  onSelection: (cb) => (selectionListeners.add(cb), () => selectionListeners.delete(cb)),
  /** Called with every roster update: { rows, capacity, ... } as /console/ws/roster sends it. */
  onRoster: (cb) => (rosterListeners.add(cb), () => rosterListeners.delete(cb)),
  /** Shows a feature's panel (by its features.json name); `detail` goes to its 'console-focus' event. */
  focus: (name, detail) => {
    const t = tabs.get(name);
    if (!t) return;
    select(name);
    t.panel.dispatchEvent(new CustomEvent('console-focus', { detail }));
  },
  ConsoleError,
};

function select(name) {
  for (const [n, t] of tabs) {
    t.button.setAttribute('aria-selected', String(n === name));
    t.panel.hidden = n !== name;
  }
}

function showLogin(message) {
  $('app').hidden = true;
  $('logout').hidden = true;
  $('who').textContent = '';
  $('login').hidden = false;
  $('login-error').textContent = message ?? '';
  roster?.close();
  roster = undefined;
}

/**
 * Makes every feature's tab and panel first and shows the first one, then mounts the features. A tab the
 * instructor picks while a later feature is still loading stays picked: nothing selects a tab after the fact.
 */
async function loadFeatures() {
  const features = await call('GET', '/console/static/features.json');
  const nav = $('tabs');
  const panels = $('panels');
  nav.replaceChildren();
  panels.replaceChildren();
  tabs.clear();
  for (const f of features) {
    const button = document.createElement('button');
    button.type = 'button';
    button.setAttribute('role', 'tab');
    button.textContent = f.title;
    button.dataset.feature = f.name;
    const panel = document.createElement('section');
    panel.className = 'panel';
    panel.dataset.feature = f.name;
    panel.hidden = true;
    nav.append(button);
    panels.append(panel);
    tabs.set(f.name, { button, panel });
    button.addEventListener('click', () => select(f.name));
    if (f.style) {
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = f.style;
      document.head.append(link);
    }
  }
  if (features.length) select(features[0].name);
  // Each feature loads on its own: a slow or failing one holds up no other.
  await Promise.all(
    features.map(async (f) => {
      const { panel } = tabs.get(f.name);
      try {
        const mod = await import(f.script);
        await mod.mount(panel, api);
      } catch (err) {
        const p = document.createElement('p');
        p.className = 'error';
        p.textContent = `${f.title} failed to load: ${err?.message ?? err}`;
        panel.append(p);
      }
    }),
  );
}

async function start(session) {
  csrf = session.csrf;
  api.instructor = session.instructor;
  $('login').hidden = true;
  $('app').hidden = false;
  $('logout').hidden = false;
  $('who').textContent = `Logged in as ${session.instructor}`;
  roster = mountRoster($('roster'), $('overview'), api, {
    onSelection: (names) => selectionListeners.forEach((cb) => cb(names)),
    onUpdate: (state) => rosterListeners.forEach((cb) => cb(state)),
  });
  await loadFeatures();
}

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('login-error').textContent = '';
  const name = $('login-name').value.trim();
  const password = $('login-password').value;
  try {
    const s = await call('POST', '/console/login', { name, password });
    $('login-password').value = '';
    await start(s);
  } catch (err) {
    $('login-error').textContent = err.message || 'Login failed.';
  }
});

$('logout').addEventListener('click', async () => {
  try {
    await call('POST', '/console/logout', {});
  } finally {
    csrf = '';
    showLogin('Logged out.');
  }
});

call('GET', '/console/session').then(start, () => showLogin());
