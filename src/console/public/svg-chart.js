// Small line charts drawn as plain SVG (no library): every value is set with setAttribute or textContent.
const NS = 'http://www.w3.org/2000/svg';

const el = (name, attrs = {}) => {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
};

/** A sparkline of `points` (oldest first) in a width x height box, with the last value and the maximum as text. */
export function lineChart(points, { width = 160, height = 40, unit = '' } = {}) {
  const svg = el('svg', { class: 'chart', width, height: height + 12, viewBox: `0 0 ${width} ${height + 12}`, role: 'img' });
  svg.append(el('line', { class: 'axis', x1: 0, y1: height, x2: width, y2: height }));
  const max = Math.max(1e-9, ...points);
  if (points.length > 1) {
    const step = width / (points.length - 1);
    const coords = points.map((v, i) => `${(i * step).toFixed(1)},${(height - (v / max) * (height - 2) - 1).toFixed(1)}`);
    svg.append(el('polyline', { points: coords.join(' ') }));
  }
  const last = points.length ? points[points.length - 1] : undefined;
  const label = el('text', { x: 0, y: height + 10 });
  label.textContent = last === undefined ? 'no data yet' : `now ${fmt(last)}${unit}  max ${fmt(Math.max(...points))}${unit}`;
  svg.append(label);
  return svg;
}

/** A horizontal bar filled to `fraction` (0..1). */
export function bar(fraction, hot = false) {
  const span = document.createElement('span');
  span.className = hot ? 'bar hot' : 'bar';
  const svg = el('svg', { width: 48, height: 8, viewBox: '0 0 100 10', preserveAspectRatio: 'none' });
  svg.append(el('rect', { x: 0, y: 0, height: 10, width: Math.max(0, Math.min(1, fraction)) * 100 }));
  span.append(svg);
  return span;
}

export function fmt(v) {
  if (!Number.isFinite(v)) return '–';
  return Math.abs(v) >= 100 ? String(Math.round(v)) : String(Math.round(v * 10) / 10);
}
