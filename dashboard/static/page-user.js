// A user: what they ordered and spent, their orders' latest statuses, and
// their notifications inbox, which grows as notifications arrive.
import { HTTPError, api, orNull } from './api.js';
import { h, link, replace } from './dom.js';
import { ago, clock, count, date, money, when } from './format.js';
import { loadNames, nameOf } from './names.js';
import { badge, card, failure, kpi, shortID, updateKPIs } from './ui.js';

export function mount(view, id, ctx) {
  const kpis = h('section.kpis', { id: 'counters' });
  const inbox = h('ul.feed.inbox', { id: 'inbox', 'aria-live': 'polite' });
  const inboxEmpty = h('p.empty', {}, 'No notifications yet.');
  const orders = h('div', { id: 'orders' });
  view.append(
    h('div.title', {}, h('h1', {}, 'User'), h('span.mono', {}, id)),
    kpis,
    card('Notifications', { id: 'notifications', cls: 'span-8' }, inboxEmpty, inbox),
    card('Orders', { id: 'user-orders', cls: 'span-4' }, orders),
  );
  // shown holds the notifications on the page, so that live ones and
  // those the API lists appear once each.
  const shown = new Set();
  const key = (n) => [n.order_id, n.status, n.at].join('|');

  function item(n, fresh) {
    return h('li' + (fresh ? '.new' : ''), { 'data-key': key(n), 'data-order': n.order_id },
      h('time', { datetime: n.at || '', title: when(n.at) }, clock(n.at)),
      n.status ? badge(n.status) : h('span.badge', {}, 'note'),
      h('span.message', {}, n.message || ''),
      n.order_id ? h('span.detail', {}, link(['order', n.order_id], 'order ' + shortID(n.order_id), 'mono')) : null);
  }

  // renderOrders lists the user's orders the inbox mentions, newest
  // first, each with its latest status.
  function renderOrders(list) {
    const latest = new Map();
    for (const n of list) if (n.order_id && !latest.has(n.order_id)) latest.set(n.order_id, n);
    replace(orders, latest.size ? h('ul.orders', {}, [...latest.values()].map((n) => h('li', { 'data-order': n.order_id },
      link(['order', n.order_id], shortID(n.order_id), 'mono'), badge(n.status), h('span.muted', {}, ago(n.at)))))
      : h('p.empty', {}, 'No orders yet.'));
  }

  async function refresh() {
    const [u, notes] = await Promise.allSettled([api.user(id), orNull(api.notifications(id)), loadNames()]);
    if (u.status === 'fulfilled') {
      const s = u.value;
      const fav = s.favourite_restaurant;
      updateKPIs(kpis, [
        kpi('orders', 'Orders', count(s.orders), s.orders),
        kpi('spent', 'Spent', money(s.spent_cents), s.spent_cents),
        kpi('avg', 'Average order', s.orders ? money(Math.round(s.spent_cents / s.orders)) : '–', ''),
        kpi('favourite', 'Favourite', fav ? link(['restaurant', fav], nameOf(fav)) : '–', fav, { small: true }),
        kpi('last', 'Last order', ago(s.last_order_at), s.last_order_at, { small: true, title: when(s.last_order_at) }),
      ]);
    } else if (u.reason instanceof HTTPError && u.reason.status === 404) {
      replace(kpis, h('p.empty', {}, `User ${id} has not ordered yet. This page fills in with their first order.`));
    } else {
      replace(kpis, failure(u.reason));
    }
    if (notes.status === 'fulfilled' && notes.value) {
      const list = [...(notes.value.notifications || [])].sort((a, b) => (date(b.at) ?? 0) - (date(a.at) ?? 0));
      const fresh = new Set([...inbox.querySelectorAll('li.new')].map((li) => li.dataset.key));
      replace(inbox, list.map((n) => item(n, fresh.has(key(n)))));
      shown.clear();
      for (const n of list) shown.add(key(n));
      inboxEmpty.hidden = list.length > 0;
      renderOrders(list);
    }
  }

  return {
    title: 'User ' + id,
    stream: { user_id: id },
    refresh,
    onEvent(type, e) {
      if (e.user_id && e.user_id !== id) return;
      if (type === 'notification' && !shown.has(key(e))) {
        shown.add(key(e));
        inbox.prepend(item(e, true));
        inboxEmpty.hidden = true;
      }
      ctx.soon();
    },
  };
}
