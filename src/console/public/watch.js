// Help one trainee (issue 13.3): pick a live shell, watch it read-only in xterm.js (the current screen
// first, then live), ask the trainee to allow typing, stop. Talks to /console/api/shells and
// /console/ws/watch (src/console/watch-routes.ts). Never sends a size: a watcher never resizes the
// trainee's terminal, it takes the size the server tells. Keys are sent only while the trainee allows
// typing (the server drops anything else and strips terminal replies). Text reaches the page only
// through textContent.
import '/static/csp-styles.js';

const el = (tag, props = {}, ...children) => {
  const e = document.createElement(tag);
  Object.assign(e, props);
  e.append(...children);
  return e;
};

const TYPING = {
  asked: 'Asked the trainee; waiting for their answer (y/n)…',
  granted: 'The trainee allowed typing: your keys reach their shell.',
  refused: 'The trainee refused typing.',
  expired: 'The trainee did not answer; ask again if needed.',
  stopped: 'Typing stopped.',
  busy: 'Typing is already asked for or granted.',
};

export async function mount(root, api) {
  const css = el('link', { rel: 'stylesheet', href: '/static/xterm.css' });
  document.head.append(css);
  const { Terminal } = await import('/static/xterm.mjs');
  const pick = el('select', { className: 'watch-pick', title: 'Live shells' });
  const refresh = el('button', { type: 'button', textContent: 'Refresh' });
  const watchBtn = el('button', { type: 'button', textContent: 'Watch', className: 'watch-start' });
  const askBtn = el('button', { type: 'button', textContent: 'Ask to type', className: 'watch-ask', disabled: true });
  const stopTypingBtn = el('button', { type: 'button', textContent: 'Stop typing', className: 'watch-stop-typing', disabled: true });
  const stopBtn = el('button', { type: 'button', textContent: 'Stop watching', className: 'watch-stop', disabled: true });
  const status = el('p', { className: 'watch-status', role: 'status' });
  const screen = el('div', { className: 'watch-screen' });
  root.append(el('div', { className: 'watch-bar' }, pick, refresh, watchBtn, askBtn, stopTypingBtn, stopBtn), status, screen);

  let ws;
  let term;
  let granted = false;
  const say = (t) => {
    status.textContent = t;
  };

  async function load(select) {
    const { shells } = await api.get('/console/api/shells');
    pick.replaceChildren(
      ...shells.map((s) => {
        const who = s.watchers.length ? ` — watched by ${s.watchers.join(', ')}` : '';
        const o = el('option', { value: JSON.stringify([s.account, s.environment]), textContent: `${s.account} / ${s.environment}${who}` });
        if (select && s.account === select.account && s.environment === select.environment) o.selected = true;
        return o;
      }),
    );
    if (!shells.length) say('No trainee is in a shell right now.');
  }

  function stop() {
    ws?.close();
    ws = undefined;
    granted = false;
    askBtn.disabled = stopTypingBtn.disabled = stopBtn.disabled = true;
  }

  function start(account, environment) {
    stop();
    term?.dispose();
    term = new Terminal({ disableStdin: true, cursorBlink: false, scrollback: 1000, convertEol: false });
    screen.replaceChildren();
    term.open(screen);
    term.onData((d) => {
      if (granted && ws?.readyState === 1) ws.send(new TextEncoder().encode(d));
    });
    const q = new URLSearchParams({ account, environment });
    const sock = api.ws(`/console/ws/watch?${q}`);
    sock.binaryType = 'arraybuffer';
    ws = sock;
    stopBtn.disabled = false;
    say(`Connecting to ${account} / ${environment}…`);
    root.dataset.watching = '';
    sock.onmessage = (ev) => {
      if (typeof ev.data !== 'string') {
        term.write(new Uint8Array(ev.data));
        return;
      }
      const m = JSON.parse(ev.data);
      if (m.t === 'size') term.resize(m.cols, m.rows);
      else if (m.t === 'watching') {
        say(`Watching ${m.account} / ${m.environment} (read-only). The trainee was told and can end it.`);
        root.dataset.watching = `${m.account}/${m.environment}`;
        askBtn.disabled = false;
      } else if (m.t === 'typing') {
        granted = m.state === 'granted';
        term.options.disableStdin = !granted;
        root.dataset.typing = m.state;
        stopTypingBtn.disabled = !granted;
        askBtn.disabled = granted || m.state === 'asked';
        say(TYPING[m.state] ?? m.state);
        if (granted) term.focus();
      } else if (m.t === 'end') {
        const why = { trainee_ended: 'The trainee ended watching.', shell_left: 'The trainee left the shell.', slow: 'Dropped: too slow.' };
        say(why[m.why] ?? 'Watching ended.');
        root.dataset.watching = '';
      } else if (m.t === 'error') say(m.message);
    };
    sock.onclose = () => {
      if (ws === sock) {
        ws = undefined;
        granted = false;
        askBtn.disabled = stopTypingBtn.disabled = stopBtn.disabled = true;
      }
    };
  }

  refresh.addEventListener('click', () => load().catch((e) => say(e.message)));
  watchBtn.addEventListener('click', () => {
    if (!pick.value) return;
    const [account, environment] = JSON.parse(pick.value);
    start(account, environment);
  });
  askBtn.addEventListener('click', () => ws?.readyState === 1 && ws.send(JSON.stringify({ t: 'ask' })));
  stopTypingBtn.addEventListener('click', () => ws?.readyState === 1 && ws.send(JSON.stringify({ t: 'stop-typing' })));
  stopBtn.addEventListener('click', () => {
    stop();
    say('Stopped watching.');
  });
  // The roster can send an instructor here: api.focus('watch', { account, environment }).
  root.addEventListener('console-focus', (e) => {
    const d = e.detail;
    if (!d?.account || !d?.environment) return;
    load(d).then(
      () => start(d.account, d.environment),
      (err) => say(err.message),
    );
  });
  await load().catch((e) => say(e.message));
}
