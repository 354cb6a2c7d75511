// The key bar for touch keyboards, which lack Esc, Tab, Ctrl and arrows: each button sends its
// bytes through the same path as typed input. Ctrl is sticky: tap it, then a letter (Ctrl then c
// sends ^C). Buttons act on pointerdown and keep the focus in the terminal, so the on-screen
// keyboard stays open.
const KEYS = [
  ['Esc', '\x1b'],
  ['Tab', '\t'],
  ['Ctrl', null],
  ['←', '\x1b[D'],
  ['↑', '\x1b[A'],
  ['↓', '\x1b[B'],
  ['→', '\x1b[C'],
  ['|', '|'],
  ['~', '~'],
  ['/', '/'],
  ['Copy', 'copy'],
  ['Paste', 'paste'],
];

/** Applies a pending Ctrl to typed text: a letter or one of @[\]^_ becomes its control character. */
export function withCtrl(text) {
  const c = text[0];
  if (!c) return text;
  const code = c.toUpperCase().charCodeAt(0);
  if (code >= 0x40 && code <= 0x5f) return String.fromCharCode(code & 0x1f) + text.slice(1);
  if (c === '?') return '\x7f' + text.slice(1);
  return text;
}

/** @param {{ el: HTMLElement, send: (s: string) => void, term: import('./xterm.mjs').Terminal }} o */
export function keyBar(o) {
  let ctrl = false;
  let ctrlButton;
  const setCtrl = (on) => {
    ctrl = on;
    ctrlButton.setAttribute('aria-pressed', String(on));
    ctrlButton.classList.toggle('on', on);
  };
  for (const [label, bytes] of KEYS) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.dataset.key = label;
    b.addEventListener('pointerdown', (ev) => {
      ev.preventDefault(); // keep the focus (and the touch keyboard) in the terminal
      if (bytes === null) setCtrl(!ctrl);
      else if (bytes === 'copy') {
        const s = o.term.getSelection();
        if (s) void navigator.clipboard?.writeText(s);
      } else if (bytes === 'paste') {
        void navigator.clipboard?.readText().then(
          (t) => o.term.paste(t),
          () => undefined,
        );
      } else o.send(bytes);
      o.term.focus();
    });
    if (bytes === null) {
      ctrlButton = b;
      b.setAttribute('aria-pressed', 'false');
    }
    o.el.append(b);
  }
  return {
    /** Typed text passes here first: a pending Ctrl applies to it once. */
    filter(text) {
      if (!ctrl) return text;
      setCtrl(false);
      return withCtrl(text);
    },
  };
}
