// A restaurant: its counters, orders per minute, what became of its
// orders, its best-selling items and the live feed of its orders.
import { HTTPError, api } from './api.js';
import { h, replace } from './dom.js';
import { ago, count, duration, label, money, rate, when } from './format.js';
import { learn } from './names.js';
import { Sampler, current, perMinute } from './series.js';
import { Feed, card, failure, fill, kpi, minuteChart, restaurantName, statusBreakdown, updateKPIs } from './ui.js';

export function mount(view, id, ctx) {
  const title = h('div.title', {}, h('h1', {}, id));
  const kpis = h('section.kpis', { id: 'counters' });
  const chartBox = h('div.chart', { id: 'opm-chart' });
  const statuses = h('div', { id: 'statuses' });
  const items = h('div', { id: 'top-items' });
  const facts = h('div', { id: 'facts' });
  const feed = new Feed(30, 'Waiting for this restaurant’s next order…', true);
  const sampler = new Sampler();
  view.append(
    title, kpis,
    card('Orders per minute', { cls: 'span-8' }, chartBox),
    card('Orders by status', { cls: 'span-4' }, statuses),
    card('Live feed', { id: 'feed', cls: 'span-7' }, feed.nodes()),
    h('div.column.span-5', {}, card('Top items', {}, items), card('Details', {}, facts)),
  );

  async function refresh() {
    let r;
    try {
      r = await api.restaurant(id);
    } catch (err) {
      if (err instanceof HTTPError && err.status === 404) {
        replace(kpis, h('p.empty', {}, `Restaurant ${id} has no orders yet. This page fills in with its first.`));
      } else {
        replace(kpis, failure(err));
      }
      return;
    }
    learn(r);
    replace(title, h('h1', {}, restaurantName(r, id)),
      r.cuisine ? h('span.badge', {}, label(r.cuisine)) : null, r.name ? h('span.mono.muted', {}, id) : null);
    document.title = restaurantName(r, id) + ' · orderstream';

    const series = perMinute(r.per_minute ?? r.orders_per_minute, r.orders, sampler);
    const perMin = current(r.orders_per_minute, series);
    const open = r.open_orders ?? r.open;
    updateKPIs(kpis, [
      kpi('orders', 'Orders', count(r.orders), r.orders),
      kpi('revenue', 'Revenue', money(r.revenue_cents), r.revenue_cents),
      kpi('avg', 'Average order', money(r.avg_order_cents), r.avg_order_cents),
      kpi('opm', 'Orders / min', rate(perMin), perMin ?? ''),
      typeof open === 'number' ? kpi('open', 'Open orders', count(open), open) : null,
      typeof r.avg_prep_ms === 'number' ? kpi('prep', 'Avg prep time', duration(r.avg_prep_ms), r.avg_prep_ms) : null,
      typeof r.avg_delivery_ms === 'number' ? kpi('delivery', 'Avg delivery', duration(r.avg_delivery_ms), r.avg_delivery_ms) : null,
    ]);
    minuteChart(chartBox, series);
    replace(statuses, statusBreakdown(r) ?? h('p.empty', {}, 'No status counts yet.'));

    const top = r.top_items || [];
    const max = Math.max(1, ...top.map((it) => it.qty));
    replace(items, top.length ? h('ol.hbars', {}, top.map((it) => h('li', { 'data-sku': it.sku },
      h('span.name', { title: it.sku }, it.name || it.sku),
      h('span.track', {}, fill(it.qty / max)),
      h('span.num', {}, count(it.qty))))) : h('p.empty', {}, 'No items yet.'));

    replace(facts, h('dl.facts', {},
      h('dt', {}, 'Id'), h('dd.mono', {}, id),
      h('dt', {}, 'Items sold'), h('dd', {}, count(r.items)),
      h('dt', {}, 'First order'), h('dd', {}, when(r.first_order_at)),
      h('dt', {}, 'Last order'), h('dd', {}, `${when(r.last_order_at)} (${ago(r.last_order_at)})`)));
  }

  return {
    title: id,
    stream: { restaurant_id: id },
    refresh,
    onEvent(type, e) {
      // Notifications repeat status changes for users: the feed shows the
      // changes.
      if (type === 'notification' || (e.restaurant_id && e.restaurant_id !== id)) return;
      if (feed.add(type, e)) ctx.soon();
    },
  };
}
