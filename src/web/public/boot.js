// Opens the page's WebSocket at once, while xterm.js and the page's modules load and compile (the largest
// part of a first load), so the banner is on its way before the terminal exists. A classic script, not a
// module, and parser-blocking rather than async: an async script waited behind the main thread's compile of
// xterm.mjs (modulepreload), which put the socket's start ~60 ms later (Chromium's trace; docs/web.md
// "Measured"). It is 2 KB from the same origin, first in <head>, so it holds the parser for one loopback
// fetch. protocol.js adopts the socket (Connection.start) and
// sets isletEarlySocket to null; finding null here means the page started first and this does nothing.
// A page with a saved session of the same login (a reload, a resume) is left to protocol.js.
'use strict';
(() => {
  if (globalThis.isletEarlySocket === null) return;
  const login = decodeURIComponent(location.hash.replace(/^#\/?/, '')) || undefined;
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem('islet.session') || 'null');
  } catch {
    /* none */
  }
  if (saved && saved.login === (login ?? null)) return;
  // Before the terminal exists its size is a guess from the window; the page sends the fitted size after.
  const small = matchMedia('(max-width: 600px)').matches;
  const guess = () => ({
    cols: Math.max(20, Math.floor(innerWidth / (small ? 7.8 : 9))),
    rows: Math.max(5, Math.floor(innerHeight / (small ? 15 : 17))),
  });
  // Without a login name the hello rides in the URL and the server starts at once (src/web/protocol.ts
  // urlHello): the socket's open event waits for the main thread, busy loading xterm.js, and costs no round trip.
  const g = guess();
  const query = login ? '' : `?v=1&cols=${g.cols}&rows=${g.rows}`;
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws${query}`);
  ws.binaryType = 'arraybuffer';
  /** `size`: the fitted terminal's size, set by Connection.start once the page runs. */
  const early = { ws, login, messages: [], closed: false, size: undefined };
  ws.onopen = () => {
    performance.mark('islet:open');
    const fitted = early.size?.();
    if (!login) {
      // The page ran first: its fitted size replaces the guess (otherwise the page sends it once it runs).
      if (fitted) ws.send(JSON.stringify({ t: 'resize', ...fitted }));
      return;
    }
    const { cols, rows } = fitted ?? guess();
    ws.send(JSON.stringify({ t: 'hello', v: 1, cols, rows, login }));
  };
  ws.onmessage = (ev) => early.messages.push(ev);
  ws.onclose = () => {
    early.closed = true;
  };
  globalThis.isletEarlySocket = early;
})();
