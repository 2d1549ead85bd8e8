// Pieces the pages share: counters, cards, status badges, feed items.
import { chart } from './chart.js';
import { h, link, replace } from './dom.js';
import { clock, count, label, rate } from './format.js';
import { nameOf } from './names.js';

// STATUSES is the lifecycle in display order; statuses the server knows
// beyond these are shown after them.
export const STATUSES = ['placed', 'accepted', 'preparing', 'ready', 'picked_up', 'out_for_delivery',
  'delivering', 'delivered', 'rejected', 'cancelled'];

// FINAL are the statuses an order does not leave.
export const FINAL = new Set(['delivered', 'rejected', 'cancelled']);

// kpi is a counter: its label, shown value and, in data-value, the raw
// number it shows (what the browser tests compare with the API).
export function kpi(id, name, shown, raw, opts = {}) {
  return h('div.kpi', { 'data-kpi': id, 'data-value': raw ?? '', title: opts.title },
    h('div.label', {}, name),
    h('div.value' + (opts.small ? '.small' : typeof shown === 'string' && shown.length > 9 ? '.long' : ''), {}, shown));
}

// updateKPIs fills el with counters, flashing those whose value changed.
export function updateKPIs(el, kpis) {
  const before = new Map([...el.querySelectorAll('[data-kpi]')].map((k) => [k.dataset.kpi, k.dataset.value]));
  replace(el, kpis);
  for (const k of el.querySelectorAll('[data-kpi]')) {
    const old = before.get(k.dataset.kpi);
    if (old !== undefined && old !== k.dataset.value) k.classList.add('flash');
  }
}

export function card(title, { id, cls = '', aside } = {}, ...body) {
  return h('section.card' + (cls ? '.' + cls : ''), { id },
    h('header', {}, h('h2', {}, title), aside ? h('span.aside', {}, aside) : null), body);
}

export function badge(status, n) {
  return h('span.badge.' + statusClass(status), { 'data-status': status },
    label(status), n == null ? null : h('b', {}, n));
}

// fill is a bar filled to share (0..1), coloured by cls; its width is set
// through CSSOM, which the page's Content-Security-Policy allows where a
// style attribute is not.
export function fill(share, cls = '') {
  const el = h('span.fill' + (cls ? '.' + cls : ''));
  el.style.width = `${Math.round(Math.max(0, Math.min(1, share)) * 100)}%`;
  return el;
}

// statusClass is the class that colours a status.
export function statusClass(status) {
  return 's-' + String(status).replace(/[^a-z0-9_-]/gi, '');
}

// statusCounts finds the per-status counts in an API object: a map under
// one of the usual names, a list of {status, count}, or top-level fields
// named after statuses. It returns [status, count] pairs in lifecycle order.
export function statusCounts(obj) {
  if (!obj) return [];
  const nested = obj.statuses ?? obj.by_status ?? obj.status_counts ?? obj.per_status ?? obj.counts;
  let pairs = [];
  if (Array.isArray(nested)) {
    pairs = nested.map((e) => [e.status, e.count ?? e.orders ?? e.n]);
  } else if (nested && typeof nested === 'object') {
    pairs = Object.entries(nested);
  } else {
    pairs = STATUSES.map((st) => [st, obj[st]]);
  }
  pairs = pairs.filter(([st, n]) => typeof st === 'string' && typeof n === 'number');
  const rank = (st) => (STATUSES.includes(st) ? STATUSES.indexOf(st) : STATUSES.length);
  return pairs.sort((a, b) => rank(a[0]) - rank(b[0]));
}

// PARTITION are the statuses that split all orders between them: every
// order is open or ended in one of the others.
const PARTITION = ['open', 'delivered', 'rejected', 'cancelled'];

// statusBreakdown shows what became of the orders of obj (the API's stats
// or a restaurant): a bar split into the outcomes that partition them,
// then every count the API gives, each as a share of all orders. It is
// null where the API gives no counts.
export function statusBreakdown(obj) {
  const open = obj.open_orders ?? obj.open;
  const rows = [...(typeof open === 'number' ? [['open', open]] : []), ...statusCounts(obj)];
  if (!rows.length) return null;
  const total = Math.max(1, obj.orders || 0, ...rows.map(([, n]) => n));
  const pct = (n) => `${Math.round((100 * n) / total)}%`;
  const parts = rows.filter(([s]) => PARTITION.includes(s));
  return [
    parts.length ? h('div.stack', { role: 'img', 'aria-label': parts.map(([s, n]) => `${label(s)} ${pct(n)}`).join(', ') },
      parts.map(([s, n]) => fill(n / total, statusClass(s)))) : null,
    h('ol.hbars.shares', {}, rows.map(([s, n]) => h('li', { 'data-status': s, 'data-value': n },
      h('span.name', {}, badge(s)), h('span.track', {}, fill(n / total, statusClass(s))),
      h('span.num', {}, count(n)), h('span.num.muted', {}, pct(n))))),
  ];
}

// minuteChart draws a series of orders per minute (see series.js) in box,
// as wide as box is now.
export function minuteChart(box, series) {
  const width = box.clientWidth || 640;
  replace(box, chart(series.points, {
    kind: series.kind, width, height: width < 500 ? 150 : 190, label: 'Orders per minute',
    title: (p) => `${p.t.toLocaleTimeString()}: ${rate(p.v)} orders/min`,
    empty: series.sampled ? 'Measuring… the rate appears after a few seconds' : 'No orders yet',
  }));
  box.dataset.points = series.points.length;
}

// restaurantName is what a restaurant is called: its name from the
// catalog where the API gives one, else its id.
export function restaurantName(r, id) {
  return r?.name || r?.restaurant_name || nameOf(id || r?.restaurant_id || '?');
}

// shortID keeps long generated ids readable; the full id is the title.
export function shortID(id) {
  id = String(id ?? '');
  return id.length > 14 ? id.slice(0, 6) + '…' + id.slice(-6) : id;
}

// feedItem renders an event of the stream: a status change or a
// notification; a feed of one restaurant's orders leaves its name out
// (sameRestaurant). It returns null for events that are neither.
export function feedItem(type, e, sameRestaurant = false) {
  if (!e.status && !e.message) return null;
  const who = [];
  if (e.restaurant_id && !sameRestaurant) who.push(link(['restaurant', e.restaurant_id], nameOf(e.restaurant_id)));
  if (e.user_id) who.push(who.length ? ' · ' : null, link(['user', e.user_id], e.user_id));
  const note = type === 'notification' || (e.message && !e.reason) ? e.message : e.reason;
  return h('li.new', { 'data-order': e.order_id, 'data-type': type },
    h('time', { datetime: e.at || '' }, clock(e.at || new Date())),
    e.status ? badge(e.status) : h('span.badge', {}, 'note'),
    h('span.what', {}, who),
    h('span.detail', {}, e.order_id ? link(['order', e.order_id], 'order ' + shortID(e.order_id), 'mono') : null,
      e.order_id && note ? ' · ' : null, note || null));
}

// Feed is a list of the latest events, newest first.
export class Feed {
  constructor(max = 50, empty = 'Waiting for events…', sameRestaurant = false) {
    this.max = max;
    this.sameRestaurant = sameRestaurant;
    this.el = h('ul.feed', { 'aria-live': 'polite' });
    this.emptyEl = h('p.empty', {}, empty);
  }

  // nodes are what to put on the page.
  nodes() {
    return [this.emptyEl, this.el];
  }

  add(type, e) {
    const li = feedItem(type, e, this.sameRestaurant);
    if (!li) return false;
    this.emptyEl.hidden = true;
    this.el.prepend(li);
    while (this.el.children.length > this.max) this.el.lastChild.remove();
    return true;
  }
}

// failure renders an error of the API in place of a page's content.
export function failure(err) {
  return h('p.error', {}, err?.status === 503 ? 'The server is catching up with its tables; retrying…' : String(err?.message || err));
}
