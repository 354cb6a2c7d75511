// The ISLET page: one terminal, connected to the web door (docs/web.md). `/#/alice` logs in as
// alice (her password is asked inside the terminal), `/#/alice+demo` goes to her demo shell.
import './csp-styles.js';
import { Terminal } from './xterm.mjs';
import { FitAddon } from './addon-fit.mjs';
import { Connection } from './protocol.js';
import { keyBar } from './keybar.js';

performance.mark('islet:script');
const login = decodeURIComponent(location.hash.replace(/^#\/?/, '')) || undefined;
const el = document.getElementById('term');
const statusEl = document.getElementById('status');

if (location.protocol !== 'https:' && !/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(location.hostname)) {
  document.getElementById('insecure').hidden = false;
}

const term = new Terminal({ cursorBlink: true, scrollback: 5000, fontSize: matchMedia('(max-width: 600px)').matches ? 13 : 15, allowProposedApi: false });
const encoder = new TextEncoder();
let helpBar;
const conn = new Connection({
  login,
  size: () => ({ cols: term.cols, rows: term.rows }),
  write: (data, done) => term.write(data, done),
  notice: (text) => term.write(text),
  // Loaded only when an instructor first watches (the first load does not fetch it); one promise keeps the order.
  watch: (m) => void (helpBar ??= import('./help-bar.js')).then((h) => h.show(m, { answer: (a) => conn.watchAnswer(a), focus: () => term.focus() })),
  status: (s, detail) => {
    document.body.dataset.state = s;
    statusEl.textContent = detail ?? (s === 'live' ? '' : s === 'reconnecting' ? 'Reconnecting…' : s === 'connecting' ? 'Connecting…' : '');
    statusEl.hidden = !statusEl.textContent;
  },
});
// Connect before opening and fitting the terminal: the socket's handshake runs beside that work. The hello
// (with the fitted size) is sent from onopen, which cannot run before this script has finished.
conn.start();
const fit = new FitAddon();
term.loadAddon(fit);
term.open(el);
// Touch keyboards: no autocorrect, capitals or suggestions in what reaches the shell.
const ta = el.querySelector('textarea');
if (ta)
  for (const [k, v] of [
    ['autocorrect', 'off'],
    ['autocapitalize', 'off'],
    ['autocomplete', 'off'],
    ['spellcheck', 'false'],
    ['enterkeyhint', 'send'],
  ])
    ta.setAttribute(k, v);
fit.fit();
performance.mark('islet:terminal');

const bar = keyBar({ el: document.getElementById('keybar'), term, send: (s) => conn.input(encoder.encode(s)) });
term.onData((d) => conn.input(encoder.encode(bar.filter(d))));
term.onBinary((d) => conn.input(Uint8Array.from(d, (c) => c.charCodeAt(0))));
term.onResize(({ cols, rows }) => conn.resize(cols, rows));
// boot.js's hello may have carried a guessed size: the fitted one (dropped if the socket is not open yet,
// in which case the hello, sent later, carries it).
conn.resize(term.cols, term.rows);

// Fit to the screen and follow rotation and the on-screen keyboard.
let fitTimer;
const refit = () => {
  clearTimeout(fitTimer);
  fitTimer = setTimeout(() => fit.fit(), 50);
};
addEventListener('resize', refit);
addEventListener('orientationchange', refit);
visualViewport?.addEventListener('resize', refit);
el.addEventListener('pointerup', () => term.focus());

// Tests and the curious: the page's state, read-only.
globalThis.islet = { term, conn };
term.focus();
