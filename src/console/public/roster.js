// The live roster: rows pushed by the server over /console/ws/roster (never polled), kept in a map,
// sorted and filtered here. Every trainee-controlled string (account, environment, title, stop reason)
// reaches the DOM through textContent only.
import { bar, fmt, lineChart } from '/console/static/svg-chart.js';

const COLUMNS = [
  { key: 'account', title: 'Account' },
  { key: 'environment', title: 'Environment' },
  { key: 'state', title: 'State' },
  { key: 'doors', title: 'Door' },
  { key: 'since', title: 'Connected' },
  { key: 'idle', title: 'Idle' },
  { key: 'cpuPercent', title: 'CPU', num: true },
  { key: 'memoryBytes', title: 'Memory', num: true },
  { key: 'expiresAt', title: 'Expires' },
  { key: 'stopReason', title: 'Last stop' },
  { key: 'title', title: 'Terminal title' },
];

const DOOR = { ssh: 'SSH', web: 'browser' };

export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

function bytes(n) {
  if (n === null || n === undefined) return '–';
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KiB`;
  if (n < 1024 ** 3) return `${fmt(n / 1024 ** 2)} MiB`;
  return `${fmt(n / 1024 ** 3)} GiB`;
}

const text = (tag, value, cls) => {
  const e = document.createElement(tag);
  e.textContent = value;
  if (cls) e.className = cls;
  return e;
};

export function mountRoster(root, overview, api, hooks = {}) {
  const rows = new Map();
  const selected = new Set();
  let skew = 0; // server clock minus ours
  let capacity;
  let metrics = [];
  let sort = { key: 'account', asc: true };
  let filter = '';
  let stateFilter = 'all';
  let closed = false;
  let ws;
  let retry = 500;

  root.replaceChildren();
  const controls = document.createElement('div');
  controls.className = 'controls';
  const search = document.createElement('input');
  search.type = 'search';
  search.placeholder = 'Filter: account, environment, title…';
  search.setAttribute('aria-label', 'Filter the roster');
  const states = document.createElement('select');
  states.setAttribute('aria-label', 'Show');
  for (const [v, label] of [
    ['all', 'all accounts'],
    ['attached', 'attached now'],
    ['running', 'running'],
    ['created', 'created, not started yet'],
    ['stopped', 'stopped'],
    ['none', 'no container'],
    ['menu', 'in the menu'],
  ]) {
    const o = document.createElement('option');
    o.value = v;
    o.textContent = label;
    states.append(o);
  }
  const status = text('span', 'connecting…', 'status');
  status.id = 'roster-status';
  controls.append(search, states, status);
  const table = document.createElement('table');
  table.id = 'roster-table';
  const head = document.createElement('thead');
  const headRow = document.createElement('tr');
  const all = document.createElement('input');
  all.type = 'checkbox';
  all.setAttribute('aria-label', 'Select every shown account');
  const th0 = document.createElement('th');
  th0.append(all);
  headRow.append(th0);
  for (const c of COLUMNS) {
    const th = text('th', c.title);
    th.dataset.key = c.key;
    th.addEventListener('click', () => {
      sort = sort.key === c.key ? { key: c.key, asc: !sort.asc } : { key: c.key, asc: !c.num };
      render();
    });
    headRow.append(th);
  }
  head.append(headRow);
  const body = document.createElement('tbody');
  table.append(head, body);
  root.append(controls, table);
  search.addEventListener('input', () => {
    filter = search.value.trim().toLowerCase();
    render();
  });
  states.addEventListener('change', () => {
    stateFilter = states.value;
    render();
  });

  const now = () => Date.now() + skew;
  const idle = (r) => (r.lastInput === null ? null : now() - r.lastInput);
  const value = (r, key) => {
    if (key === 'idle') return idle(r) ?? Infinity;
    if (key === 'since') return r.since === null ? Infinity : r.since;
    if (key === 'doors') return r.doors.join(',');
    return r[key] ?? (COLUMNS.find((c) => c.key === key)?.num ? -1 : '');
  };
  const shown = () => {
    const out = [];
    for (const r of rows.values()) {
      // "Attached now": to a shell (a trainee in the menu has a door but no shell).
      if (stateFilter === 'attached' ? r.doors.length === 0 || r.state === 'menu' : stateFilter !== 'all' && r.state !== stateFilter) continue;
      if (filter && ![r.account, r.environment ?? '', r.title ?? '', r.stopReason ?? ''].some((s) => s.toLowerCase().includes(filter))) continue;
      out.push(r);
    }
    const dir = sort.asc ? 1 : -1;
    return out.sort((a, b) => {
      const x = value(a, sort.key);
      const y = value(b, sort.key);
      if (x < y) return -dir;
      if (x > y) return dir;
      return a.key < b.key ? -1 : 1;
    });
  };

  const selectionChanged = () => hooks.onSelection?.([...selected]);
  all.addEventListener('change', () => {
    for (const r of shown()) {
      if (!r.account) continue; // a menu row at the login: no account to act on
      if (all.checked) selected.add(r.account);
      else selected.delete(r.account);
    }
    render();
    selectionChanged();
  });

  function cell(r, c) {
    const td = document.createElement('td');
    switch (c.key) {
      case 'environment':
        td.textContent = r.environment ?? '–';
        break;
      case 'doors':
        td.textContent = r.doors.length ? r.doors.map((d) => DOOR[d] ?? d).join(', ') : '–';
        break;
      case 'since':
        td.textContent = r.since === null ? '–' : duration(now() - r.since);
        break;
      case 'idle':
        td.textContent = r.state === 'none' ? '–' : duration(idle(r));
        break;
      case 'cpuPercent':
        td.className = 'num';
        if (r.cpuPercent !== null) td.append(bar(r.cpuPercent / 100, r.cpuPercent >= 80));
        td.append(document.createTextNode(r.cpuPercent === null ? '–' : `${fmt(r.cpuPercent)}%`));
        break;
      case 'memoryBytes':
        td.className = 'num';
        td.textContent = bytes(r.memoryBytes);
        break;
      case 'account':
        // A menu row at the banner: nobody logged in yet.
        td.textContent = r.account || '(at the login)';
        break;
      case 'expiresAt': {
        if (r.expiresAt === null) {
          td.textContent = '–';
          break;
        }
        const left = r.expiresAt - now();
        td.textContent = left <= 0 ? 'expired' : `in ${duration(left)}`;
        td.title = new Date(r.expiresAt).toISOString();
        break;
      }
      case 'title':
        td.className = 'title';
        td.textContent = r.title ?? '';
        break;
      default:
        td.textContent = r[c.key] ?? '–';
    }
    td.dataset.col = c.key;
    return td;
  }

  function render() {
    for (const th of headRow.querySelectorAll('th[data-key]')) {
      th.classList.toggle('sorted', th.dataset.key === sort.key);
      th.classList.toggle('asc', th.dataset.key === sort.key && sort.asc);
    }
    const list = shown();
    const frag = document.createDocumentFragment();
    for (const r of list) {
      const tr = document.createElement('tr');
      tr.dataset.account = r.account;
      tr.dataset.environment = r.environment ?? '';
      tr.dataset.state = r.state;
      if (r.doors.length === 0) tr.className = 'offline';
      const td0 = document.createElement('td');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = selected.has(r.account);
      box.disabled = !r.account;
      box.setAttribute('aria-label', `Select ${r.account}`);
      box.addEventListener('change', () => {
        if (box.checked) selected.add(r.account);
        else selected.delete(r.account);
        selectionChanged();
      });
      td0.append(box);
      tr.append(td0);
      for (const c of COLUMNS) tr.append(cell(r, c));
      frag.append(tr);
    }
    body.replaceChildren(frag);
    status.textContent = `${list.length} of ${rows.size} shown`;
    renderOverview();
  }

  function renderOverview() {
    overview.replaceChildren();
    if (capacity) {
      const card = document.createElement('div');
      card.className = 'card';
      card.id = 'capacity';
      card.append(text('h3', 'Containers running'));
      card.append(text('div', capacity.max ? `${capacity.running} / ${capacity.max}` : `${capacity.running} (no limit)`, 'big'));
      if (capacity.max) card.append(bar(capacity.running / capacity.max, capacity.running >= capacity.max));
      card.append(text('div', `${capacity.waiting} waiting in line`, capacity.waiting ? 'stale' : 'status'));
      const attached = [...rows.values()].filter((r) => r.doors.length).length;
      card.append(text('div', `${attached} shells attached`, 'status'));
      overview.append(card);
    }
    for (const s of metrics) {
      const card = document.createElement('div');
      card.className = 'card';
      card.append(text('h3', s.name));
      card.append(lineChart(s.points, { unit: s.unit }));
      overview.append(card);
    }
  }

  function apply(m) {
    if (m.t !== 'roster') return;
    skew = m.now - Date.now();
    for (const k of m.remove) rows.delete(k);
    for (const r of m.upsert) rows.set(r.key, r);
    capacity = m.capacity;
    if (m.metrics) metrics = m.metrics;
    render();
    hooks.onUpdate?.({ rows: [...rows.values()], capacity, metrics });
  }

  function connect() {
    if (closed) return;
    ws = api.ws('/console/ws/roster');
    ws.addEventListener('open', () => {
      retry = 500;
      rows.clear();
    });
    ws.addEventListener('message', (e) => {
      try {
        apply(JSON.parse(e.data));
      } catch {
        // A frame the page does not understand is dropped.
      }
    });
    ws.addEventListener('close', (e) => {
      if (closed) return;
      status.textContent = e.code === 4401 ? 'console session ended' : 'reconnecting…';
      if (e.code === 4401) return;
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 5000);
    });
  }
  connect();
  // Idle and connected times move on their own: redraw them every few seconds without new data.
  const clock = setInterval(() => {
    if (!document.hidden) render();
  }, 5000);

  return {
    selection: () => [...selected],
    close() {
      closed = true;
      clearInterval(clock);
      ws?.close();
    },
  };
}
