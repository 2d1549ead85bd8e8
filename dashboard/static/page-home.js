// The front page: global counters, orders per minute, the leaderboard of
// restaurants and the live feed of every order's events.
import { api } from './api.js';
import { h, link, replace } from './dom.js';
import { count, money, rate } from './format.js';
import { learn, loadNames } from './names.js';
import { Sampler, current, perMinute } from './series.js';
import { Feed, card, failure, kpi, minuteChart, restaurantName, statusBreakdown, updateKPIs } from './ui.js';

// BOARD_SIZE is how many restaurants the leaderboard shows.
const BOARD_SIZE = 10;

// sort survives going to another page and back.
let sort = 'revenue';

export function mount(view, _id, ctx) {
  const kpis = h('section.kpis', { id: 'counters', 'aria-label': 'Counters' });
  const statuses = h('div', { id: 'statuses' });
  const statusCard = card('Orders by status', { id: 'status-card', cls: 'span-4' }, statuses);
  const chartBox = h('div.chart', { id: 'opm-chart' });
  const chartCard = card('Orders per minute', { id: 'opm', cls: 'span-8' }, chartBox);
  const board = h('div', { id: 'leaderboard' });
  const sortButtons = ['revenue', 'orders'].map((by) =>
    h('button', { type: 'button', 'data-sort': by, 'aria-pressed': String(by === sort), onclick: () => setSort(by) },
      by === 'revenue' ? 'Revenue' : 'Orders'));
  const feed = new Feed(50, 'Waiting for orders… new ones appear here as they happen.');
  const sampler = new Sampler();
  statusCard.hidden = true;

  view.append(
    kpis,
    chartCard,
    statusCard,
    card('Top restaurants', { cls: 'span-7', aside: h('span.seg', { role: 'group', 'aria-label': 'Sort by' }, sortButtons) }, board),
    card('Live feed', { id: 'feed', cls: 'span-5' }, feed.nodes()),
  );

  function setSort(by) {
    sort = by;
    for (const b of sortButtons) b.setAttribute('aria-pressed', String(b.dataset.sort === by));
    page.refresh();
  }

  async function refresh() {
    const [stats, list] = await Promise.allSettled([api.stats(), api.restaurants(sort, BOARD_SIZE), loadNames()]);
    if (stats.status === 'fulfilled') {
      renderStats(stats.value);
    } else {
      replace(kpis, failure(stats.reason));
    }
    if (list.status === 'fulfilled') {
      learn(list.value.restaurants || []);
      renderBoard(list.value.restaurants || []);
    } else {
      replace(board, failure(list.reason));
    }
  }

  function renderStats(st) {
    const series = perMinute(st.per_minute ?? st.orders_per_minute, st.orders, sampler);
    const perMin = current(st.orders_per_minute, series);
    const open = st.open_orders ?? st.open;
    updateKPIs(kpis, [
      kpi('orders', 'Orders', count(st.orders), st.orders),
      kpi('revenue', 'Revenue', money(st.revenue_cents), st.revenue_cents),
      typeof open === 'number' ? kpi('open', 'Open orders', count(open), open) : null,
      kpi('opm', 'Orders / min', rate(perMin), perMin ?? '', { title: series.sampled ? 'measured by this page' : '' }),
      kpi('avg', 'Average order', st.orders ? money(Math.round(st.revenue_cents / st.orders)) : '–', ''),
      kpi('restaurants', 'Restaurants', count(st.restaurants), st.restaurants),
      kpi('users', 'Users', count(st.users), st.users),
    ]);
    const breakdown = statusBreakdown(st);
    statusCard.hidden = !breakdown;
    chartCard.classList.toggle('span-8', !!breakdown);
    replace(statuses, breakdown);
    minuteChart(chartBox, series);
  }

  function renderBoard(list) {
    if (!list.length) {
      replace(board, h('p.empty', {}, 'No orders yet.'));
      return;
    }
    const hasOpen = list.some((r) => typeof r.open === 'number');
    replace(board, h('table', {},
      h('thead', {}, h('tr', {},
        h('th.num', {}, '#'), h('th', {}, 'Restaurant'), h('th.num', {}, 'Orders'), h('th.num', {}, 'Revenue'),
        h('th.num.hide-phone', {}, 'Avg'), hasOpen ? h('th.num.hide-phone', {}, 'Open') : null)),
      h('tbody', {}, list.map((r, i) => h('tr', { 'data-restaurant': r.restaurant_id },
        h('td.num.muted', {}, i + 1),
        h('td', {}, link(['restaurant', r.restaurant_id], restaurantName(r)),
          r.name ? h('span.sub', {}, [r.cuisine, r.restaurant_id].filter(Boolean).join(' · ')) : null),
        h('td.num', { 'data-field': 'orders', 'data-value': r.orders }, count(r.orders)),
        h('td.num', { 'data-field': 'revenue', 'data-value': r.revenue_cents }, money(r.revenue_cents)),
        h('td.num.hide-phone', {}, money(r.avg_order_cents)),
        hasOpen ? h('td.num.hide-phone', {}, count(r.open)) : null)))));
  }

  const page = {
    title: 'dashboard',
    stream: {},
    refresh,
    onEvent(type, e) {
      // Every change comes as a status event and, for its user, as a
      // notification too: the feed shows the first.
      if (type === 'notification') return;
      if (feed.add(type, e)) ctx.soon();
    },
  };
  return page;
}
