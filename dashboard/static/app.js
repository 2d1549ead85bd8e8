// The dashboard: hash routes to pages, each refreshed from the JSON API
// every REFRESH_MS and on events from the stream.
import { api, conn, orNull } from './api.js';
import { stream } from './live.js';
import * as home from './page-home.js';
import * as restaurant from './page-restaurant.js';
import * as order from './page-order.js';
import * as user from './page-user.js';
import { h } from './dom.js';

// REFRESH_MS is how often a page re-reads the API, whether or not events
// arrive: the stream says something changed, the API what it adds up to.
const REFRESH_MS = 2000;
// EVENT_REFRESH_MS is the shortest gap between refreshes caused by events.
const EVENT_REFRESH_MS = 700;

const routes = { '': home, restaurant, order, user };

// current is the page on screen: its module's page object, its stream, its
// timer and whether a refresh is running.
let current = null;

// mount shows the page of the hash route #/name/id.
function mount() {
  const [name = '', id = ''] = location.hash.replace(/^#\/?/, '').split('/').map(safeDecode);
  unmount();
  const view = document.getElementById('view');
  view.replaceChildren();
  const mod = routes[name];
  if (!mod || (name && !id)) {
    view.append(h('section.card', {}, h('h1', {}, 'No such page'), h('p', {}, h('a', { href: '#/' }, 'Back to the dashboard'))));
    return;
  }
  const ctx = { follow, soon };
  const page = mod.mount(view, id, ctx);
  const me = { page, busy: false, again: false, close: null, params: null, last: 0, soonTimer: 0 };
  current = me;
  document.title = (page.title || 'dashboard') + ' · orderstream';
  me.timer = setInterval(() => document.visibilityState === 'visible' && refresh(me), REFRESH_MS);
  refresh(me);
  follow(page.stream ?? {});
}

function unmount() {
  if (!current) return;
  clearInterval(current.timer);
  clearTimeout(current.soonTimer);
  current.close?.();
  current.page.dispose?.();
  current = null;
}

// refresh runs the page's refresh, one at a time; a request while one runs
// is kept for when it ends.
async function refresh(me = current) {
  if (!me || me !== current) return;
  if (me.busy) {
    me.again = true;
    return;
  }
  me.busy = true;
  me.last = Date.now();
  try {
    await me.page.refresh();
  } catch (err) {
    console.warn('refresh', err);
  } finally {
    me.busy = false;
    if (me.again && me === current) {
      me.again = false;
      refresh(me);
    }
  }
}

// soon asks for a refresh after an event, at most every EVENT_REFRESH_MS.
function soon() {
  const me = current;
  if (!me || me.soonTimer) return;
  const wait = Math.max(0, me.last + EVENT_REFRESH_MS - Date.now());
  me.soonTimer = setTimeout(() => {
    me.soonTimer = 0;
    refresh(me);
  }, wait);
}

// follow points the page's event stream at params ({user_id} or
// {restaurant_id}, {} for everything), reopening it if they changed.
function follow(params) {
  const me = current;
  const key = JSON.stringify(params);
  if (!me || me.params === key) return;
  me.close?.();
  me.params = key;
  me.close = stream(params, (type, data) => me.page.onEvent?.(type, data), () => refresh(me));
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// find looks q up as an order, user and restaurant id, in the order its
// prefix suggests, and goes to the first that exists.
async function find(q) {
  q = q.trim();
  if (!q) return;
  let kinds = [['order', api.order], ['user', api.user], ['restaurant', api.restaurant]];
  if (/^u-/.test(q)) kinds = [kinds[1], kinds[0], kinds[2]];
  if (/^r-/.test(q)) kinds = [kinds[2], kinds[0], kinds[1]];
  const found = await Promise.all(kinds.map(([, get]) => orNull(get(q)).catch(() => null)));
  const i = found.findIndex(Boolean);
  if (i < 0) {
    notice(`No order, user or restaurant has the id “${q}”.`);
    return;
  }
  notice('');
  location.hash = '#/' + kinds[i][0] + '/' + encodeURIComponent(q);
}

let noticeTimer = 0;
function notice(text) {
  const el = document.getElementById('notice');
  el.textContent = text;
  el.hidden = !text;
  clearTimeout(noticeTimer);
  if (text) noticeTimer = setTimeout(() => (el.hidden = true), 6000);
}

document.getElementById('search').addEventListener('submit', (e) => {
  e.preventDefault();
  find(document.getElementById('q').value);
});
window.addEventListener('hashchange', mount);
// Back from being unreachable: catch up at once rather than at the next tick.
conn.onReconnect(() => refresh());
document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && refresh());
conn.render();
mount();
