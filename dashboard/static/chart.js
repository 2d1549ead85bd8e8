// A small SVG chart of a time series: bars or a line with its area, a few
// grid lines with values, a few time labels. points are {t: Date, v: number}.
import { s } from './dom.js';

const M = { top: 10, right: 8, bottom: 22, left: 40 };
const MINUTES = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });
const SECONDS = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

// nice rounds max up to 1, 2 or 5 times a power of ten, at least 1.
export function nice(max) {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= max);
}

function tickLabel(v) {
  return v >= 1000 ? (v / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 }) + 'k'
    : v.toLocaleString('en-US', { maximumFractionDigits: 1 });
}

// chart returns an <svg> width × height (CSS scales it down) of points,
// drawn as 'bar' or 'line'; title(point) is the hover text of a point.
export function chart(points, { kind = 'bar', width = 640, height = 180, title = (p) => String(p.v), label = 'chart', empty = 'No data yet' } = {}) {
  width = Math.max(240, Math.round(width));
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': label });
  const w = width - M.left - M.right;
  const ht = height - M.top - M.bottom;
  if (!points.length) {
    svg.append(s('line', { class: 'grid', x1: M.left, x2: width - M.right, y1: M.top + ht, y2: M.top + ht }),
      s('text', { class: 'note', x: width / 2, y: height / 2, 'text-anchor': 'middle' }, empty));
    return svg;
  }
  const max = nice(Math.max(...points.map((p) => p.v)));
  const y = (v) => M.top + ht - (v / max) * ht;

  for (const v of [0, max / 2, max]) {
    svg.append(
      s('line', { class: 'grid', x1: M.left, x2: width - M.right, y1: y(v), y2: y(v) }),
      s('text', { class: 'axis', x: M.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, tickLabel(v)),
    );
  }

  const n = points.length;
  const step = w / n;
  const x = (i) => M.left + step * (i + 0.5);
  if (kind === 'bar') {
    const bw = Math.max(1, step * 0.72);
    points.forEach((p, i) => {
      const top = y(p.v);
      svg.append(s('rect', { class: 'bar', x: x(i) - bw / 2, y: top, width: bw, height: M.top + ht - top, rx: Math.min(3, bw / 4) },
        s('title', {}, title(p))));
    });
  } else {
    const xs = (i) => (n === 1 ? M.left + w / 2 : M.left + (w * i) / (n - 1));
    const line = points.map((p, i) => `${i ? 'L' : 'M'}${xs(i).toFixed(1)},${y(p.v).toFixed(1)}`).join('');
    svg.append(
      s('path', { class: 'area', d: `${line}L${xs(n - 1).toFixed(1)},${y(0)}L${xs(0).toFixed(1)},${y(0)}Z` }),
      s('path', { class: 'line', d: line }, s('title', {}, title(points[n - 1]))),
    );
  }

  // Up to six time labels, evenly spread, the last point always labelled;
  // with seconds where the whole chart spans a few minutes.
  const every = Math.max(1, Math.ceil(n / 6));
  const span = points[n - 1].t - points[0].t;
  const time = span < 6 * 60_000 && kind !== 'bar' ? SECONDS : MINUTES;
  points.forEach((p, i) => {
    if ((n - 1 - i) % every !== 0 || !(p.t instanceof Date)) return;
    const xi = kind === 'bar' ? x(i) : (n === 1 ? M.left + w / 2 : M.left + (w * i) / (n - 1));
    const anchor = kind === 'bar' ? 'middle' : i === n - 1 ? 'end' : i === 0 ? 'start' : 'middle';
    svg.append(s('text', { class: 'axis', x: xi, y: height - 6, 'text-anchor': anchor }, time.format(p.t)));
  });
  return svg;
}
