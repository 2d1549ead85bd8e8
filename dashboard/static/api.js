// The JSON API of the server that served this page, and the connection
// indicator in the header.

// HTTPError is an answer other than 2xx; status 0 means no answer at all.
export class HTTPError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// getJSON fetches path and decodes it; the API's {"error": ...} bodies
// become the HTTPError's message.
export async function getJSON(path, opts = {}) {
  let resp;
  try {
    resp = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store', ...opts });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    conn.api(false);
    throw new HTTPError(0, 'server unreachable');
  }
  conn.api(true);
  let body = null;
  try {
    body = await resp.json();
  } catch {
    // Not JSON: keep the status.
  }
  if (!resp.ok) throw new HTTPError(resp.status, body?.error || `${resp.status} ${resp.statusText}`);
  return body;
}

export function postJSON(path, data) {
  return getJSON(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(data ?? {}) });
}

const enc = encodeURIComponent;

export const api = {
  stats: () => getJSON('/api/stats'),
  restaurants: (sort, limit) => getJSON(`/api/restaurants?sort=${enc(sort)}&limit=${limit}`),
  restaurant: (id) => getJSON(`/api/restaurants/${enc(id)}`),
  user: (id) => getJSON(`/api/users/${enc(id)}`),
  notifications: (id) => getJSON(`/api/users/${enc(id)}/notifications`),
  order: (id) => getJSON(`/api/orders/${enc(id)}`),
  cancel: (id) => postJSON(`/api/orders/${enc(id)}/cancel`),
};

// orNull is the value of p, or null where the API answered 404.
export async function orNull(p) {
  try {
    return await p;
  } catch (err) {
    if (err instanceof HTTPError && err.status === 404) return null;
    throw err;
  }
}

// conn keeps the indicator in the header: live while the event stream is
// open, polling while only the JSON API answers, offline while nothing does.
// listeners run when the server comes back after being unreachable.
export const conn = {
  stream: 'connecting',
  apiOK: true,
  listeners: new Set(),
  setStream(state) {
    this.stream = state;
    this.render();
  },
  api(ok) {
    const back = ok && !this.apiOK;
    this.apiOK = ok;
    this.render();
    if (back) for (const f of this.listeners) f();
  },
  onReconnect(f) {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  },
  render() {
    const el = document.getElementById('conn');
    if (!el) return;
    let state, text, title;
    if (this.stream === 'open') {
      [state, text, title] = ['live', 'live', 'Receiving events as they happen'];
    } else if (!this.apiOK) {
      [state, text, title] = ['offline', 'reconnecting…', 'The server does not answer; retrying'];
    } else if (this.stream === 'connecting') {
      [state, text, title] = ['connecting', 'connecting', 'Connecting to the event stream'];
    } else {
      [state, text, title] = ['polling', 'polling', 'No event stream; refreshing every few seconds'];
    }
    el.dataset.state = state;
    el.title = title;
    el.querySelector('.label').textContent = text;
  },
};
