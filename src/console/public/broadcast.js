// Speak to all, or some (issue 13.4): a message shown on every selected trainee terminal (SSH and
// browser, shells and the menu). Posts to /console/api/broadcast (src/console/broadcast-routes.ts).
const el = (tag, props = {}, ...children) => {
  const e = document.createElement(tag);
  Object.assign(e, props);
  e.append(...children);
  return e;
};

export async function mount(root, api) {
  const t = await api.get('/console/api/broadcast/targets');
  const message = el('textarea', { className: 'broadcast-message', maxLength: t.maxLength, rows: 3, required: true, placeholder: 'Message' });
  const scope = el(
    'select',
    { className: 'broadcast-scope' },
    el('option', { value: 'all', textContent: 'Everyone' }),
    el('option', { value: 'account', textContent: 'One account' }),
    el('option', { value: 'environment', textContent: 'One environment' }),
  );
  const which = el('select', { className: 'broadcast-which', hidden: true });
  const send = el('button', { type: 'submit', textContent: 'Send' });
  const result = el('p', { className: 'broadcast-result', role: 'status' });
  const form = el('form', { className: 'broadcast-form' }, el('label', {}, 'Message ', message), el('label', {}, 'To ', scope), which, send);
  root.append(form, result);

  async function fill() {
    const now = await api.get('/console/api/broadcast/targets');
    const names = scope.value === 'account' ? now.accounts : scope.value === 'environment' ? now.environments : [];
    which.replaceChildren(...names.map((n) => el('option', { value: n, textContent: n })));
    which.hidden = scope.value === 'all';
  }
  scope.addEventListener('change', () => fill().catch((e) => (result.textContent = e.message)));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { message: message.value };
    if (scope.value !== 'all') body[scope.value] = which.value;
    try {
      const r = await api.post('/console/api/broadcast', body);
      result.textContent = `Shown in ${r.shells} shell(s) and ${r.menus} menu session(s).`;
      message.value = '';
    } catch (err) {
      result.textContent = err.message;
    }
  });
}
