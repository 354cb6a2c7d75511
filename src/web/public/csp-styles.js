// Lets xterm.js run under the door's strict Content-Security-Policy (style-src 'self', no 'unsafe-inline').
// xterm.js writes its dynamic CSS into <style> elements and sets some colours with setAttribute('style'):
// both are inline styles CSP refuses. This module (imported before xterm) moves <style> text into
// constructed style sheets and style attributes into CSSOM (element.style), which CSP permits.
const createElement = Document.prototype.createElement;
Document.prototype.createElement = function (name, options) {
  if (String(name).toLowerCase() !== 'style') return createElement.call(this, name, options);
  // Even an empty <style> in the document is an inline style to CSP: hand out an inert stand-in.
  const el = createElement.call(this, 'islet-style');
  el.hidden = true;
  const doc = this;
  const sheet = new CSSStyleSheet();
  let text = '';
  Object.defineProperty(el, 'textContent', {
    get() {
      return text;
    },
    set(v) {
      text = String(v ?? '');
      sheet.replaceSync(text);
      if (!doc.adoptedStyleSheets.includes(sheet)) doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
    },
  });
  const remove = el.remove.bind(el);
  el.remove = () => {
    doc.adoptedStyleSheets = doc.adoptedStyleSheets.filter((s) => s !== sheet);
    remove();
  };
  return el;
};
const setAttribute = Element.prototype.setAttribute;
Element.prototype.setAttribute = function (name, value) {
  if (String(name).toLowerCase() === 'style' && this instanceof HTMLElement) {
    this.style.cssText = String(value);
    return;
  }
  return setAttribute.call(this, name, value);
};
