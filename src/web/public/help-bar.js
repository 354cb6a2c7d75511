// The help bar: while an instructor watches this trainee's shell (the instructor console, docs/console.md),
// the page says who, and offers the buttons that answer as the terminal's keys do: Allow / Refuse an ask to
// type (y / n) and End the watch (Ctrl-]). The server sends the whole state at every change
// ({watchers, asking?, typing?}: src/web/protocol.ts `watch`); a button sends {t:'watch-answer'} and the
// bar changes only when the server's next state says so. Loaded lazily by app.js on the first such state.
// Under the door's CSP: no inline style (a constructed style sheet), names put on the page as text only.

const CSS = `
.helpbar { position: fixed; top: 8px; right: 8px; z-index: 10; max-width: min(28rem, calc(100vw - 16px));
  display: flex; flex-wrap: wrap; align-items: center; gap: 6px; padding: 8px 10px; box-sizing: border-box;
  background: #1d3557; color: #fff; border: 2px solid #f1c40f; border-radius: 8px; font-size: 15px; }
.helpbar[hidden] { display: none; }
.helpbar p { margin: 0; flex: 1 1 100%; }
.helpbar button { min-height: 36px; min-width: 72px; padding: 0 10px; font-size: 15px; border-radius: 6px;
  border: 1px solid #fff; background: #333; color: #fff; cursor: pointer; }
.helpbar button:focus-visible { outline: 3px solid #f1c40f; outline-offset: 2px; }
.helpbar button[data-answer="allow"] { background: #1e7b34; }
.helpbar button[data-answer="refuse"] { background: #8a1c1c; }
`;

let bar;

function build(o) {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  const el = document.createElement('aside');
  el.id = 'helpbar';
  el.className = 'helpbar';
  el.setAttribute('aria-label', 'Instructor');
  el.hidden = true;
  const text = document.createElement('p');
  // Said at once by a screen reader: an ask to type waits for the trainee.
  text.setAttribute('role', 'status');
  text.setAttribute('aria-live', 'assertive');
  el.append(text);
  const buttons = {};
  for (const [answer, label, title] of [
    ['allow', 'Allow', 'Let the instructor type in your terminal (as pressing y)'],
    ['refuse', 'Refuse', 'Do not let the instructor type (as pressing n)'],
    ['end', 'End', 'End watching by the instructor (as pressing Ctrl-])'],
  ]) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.title = title;
    b.dataset.answer = answer;
    b.addEventListener('click', () => {
      o.answer(answer);
      o.focus();
    });
    buttons[answer] = b;
    el.append(b);
  }
  document.body.append(el);
  return { el, text, buttons };
}

/** @param {{watchers: string[], asking?: string, typing?: string}} m @param {{answer: (a: string) => void, focus: () => void}} o */
export function show(m, o) {
  bar ??= build(o);
  const watchers = Array.isArray(m.watchers) ? m.watchers.map(String) : [];
  const asking = typeof m.asking === 'string' ? m.asking : undefined;
  const typing = typeof m.typing === 'string' ? m.typing : undefined;
  bar.el.hidden = watchers.length === 0 && !asking;
  bar.el.dataset.state = asking ? 'asking' : typing ? 'typing' : bar.el.hidden ? 'none' : 'watching';
  bar.buttons.allow.hidden = bar.buttons.refuse.hidden = !asking;
  bar.buttons.end.textContent = watchers.length ? 'End watching' : 'End';
  bar.buttons.end.hidden = watchers.length === 0;
  bar.text.textContent = asking
    ? `${asking} (instructor) asks to type in your terminal. Allow?`
    : typing
      ? `${typing} (instructor) is typing in your terminal${watchers.length > 1 ? `; watching: ${watchers.join(', ')}` : ''}.`
      : watchers.length
        ? `Watching your terminal: ${watchers.join(', ')} (instructor).`
        : '';
}
