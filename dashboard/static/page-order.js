// An order: where it is in its lifecycle, as the audit trail tells it.
import { HTTPError, api } from './api.js';
import { h, link, replace } from './dom.js';
import { clock, date, duration, label, money, when } from './format.js';
import { loadNames } from './names.js';
import { FINAL, badge, card, failure, restaurantName, statusClass } from './ui.js';

export function mount(view, id, ctx) {
  const head = h('div.title', {}, h('h1', {}, 'Order'), h('span.mono.muted', {}, id));
  const facts = h('div', { id: 'facts' });
  const timeline = h('div', { id: 'timeline' });
  const actions = h('div', { id: 'actions' });
  view.append(head,
    card('Timeline', { cls: 'span-7' }, timeline),
    card('Order', { cls: 'span-5' }, facts, actions));
  let cancelling = false;

  async function refresh() {
    let o;
    try {
      o = await api.order(id);
    } catch (err) {
      if (err instanceof HTTPError && err.status === 404) {
        replace(timeline, h('p.empty', {}, 'No such order yet. A new order takes a moment to pass through the pipeline; this page shows it as soon as it arrives.'));
      } else {
        replace(timeline, failure(err));
      }
      return;
    }
    if (o.user_id) ctx.follow({ user_id: o.user_id });
    loadNames();
    replace(head, h('h1', {}, 'Order'), h('span.mono', { title: id }, id), o.status ? badge(o.status) : null);

    const history = [...(o.history || [])].sort((a, b) => (date(a.at) ?? 0) - (date(b.at) ?? 0));
    replace(timeline, history.length ? h('ol.timeline', {}, history.map((step, i) => {
      const prev = i ? date(history[i - 1].at) : null;
      const at = date(step.at);
      return h('li.' + statusClass(step.status), { 'data-status': step.status },
        h('strong', {}, label(step.status)),
        h('time.when', { datetime: step.at || '', title: when(at) }, clock(at)),
        prev && at && at - prev >= 1 ? h('span.when', {}, '+' + duration(at - prev)) : null,
        step.reason ? h('span.reason', {}, step.reason) : null);
    })) : h('p.empty', {}, 'No status changes recorded yet.'));

    const placed = date(history[0]?.at);
    const last = date(history.at(-1)?.at);
    replace(facts, h('dl.facts', {},
      h('dt', {}, 'Status'), h('dd', {}, o.status ? badge(o.status) : '–'),
      h('dt', {}, 'Restaurant'), h('dd', {}, o.restaurant_id ? link(['restaurant', o.restaurant_id], restaurantName(o, o.restaurant_id)) : '–'),
      h('dt', {}, 'User'), h('dd', {}, o.user_id ? link(['user', o.user_id], o.user_id) : '–'),
      h('dt', {}, 'Total'), h('dd', { 'data-value': o.total_cents }, money(o.total_cents)),
      h('dt', {}, 'Placed'), h('dd', {}, when(placed)),
      placed && last && FINAL.has(o.status) ? [h('dt', {}, 'Took'), h('dd', {}, duration(last - placed))] : null));

    replace(actions, o.status && !FINAL.has(o.status)
      ? h('p', {}, h('button.btn.secondary', { type: 'button', disabled: cancelling, onclick: cancel }, 'Cancel order'))
      : null);
  }

  async function cancel() {
    cancelling = true;
    try {
      await api.cancel(id);
      replace(actions, h('p.muted', {}, 'Cancellation requested.'));
    } catch (err) {
      replace(actions, h('p.error', {}, 'Could not cancel: ' + err.message));
    } finally {
      cancelling = false;
      ctx.soon();
    }
  }

  return {
    title: 'Order ' + id,
    stream: {},
    refresh,
    onEvent(_type, e) {
      if (e.order_id === id) ctx.soon();
    },
  };
}
