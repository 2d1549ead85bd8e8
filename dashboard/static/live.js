// The event stream, GET /api/events (Server-Sent Events), kept open for as
// long as a page wants it: across network errors and server restarts.
import { conn } from './api.js';

// TYPES are the event names listened for; "message" is an event sent
// without one. Unknown names are ignored by EventSource itself.
const TYPES = ['message', 'status', 'order', 'notification'];

// Reconnect delays: EventSource retries by itself while the server is
// merely gone, but gives up for good on an answer that is not a stream
// (a 404, a proxy's error page); then this retries, backing off.
const MIN_DELAY_MS = 1000;
const MAX_DELAY_MS = 15000;

// stream opens the event stream filtered by params ({user_id} or
// {restaurant_id}), calls onEvent(type, data) for each event whose data
// is JSON, and onOpen() each time the stream (re)opens, so the page can
// catch up on what it missed. It returns a function that closes it.
export function stream(params, onEvent, onOpen) {
  const query = new URLSearchParams(Object.entries(params || {}).filter(([, v]) => v)).toString();
  const url = '/api/events' + (query ? '?' + query : '');
  let es = null;
  let timer = 0;
  let delay = MIN_DELAY_MS;
  let closed = false;

  function open() {
    es = new EventSource(url);
    conn.setStream('connecting');
    es.onopen = () => {
      delay = MIN_DELAY_MS;
      conn.setStream('open');
      onOpen?.();
    };
    for (const type of TYPES) {
      es.addEventListener(type, (e) => {
        let data;
        try {
          data = JSON.parse(e.data);
        } catch {
          return; // a comment or keep-alive
        }
        if (data && typeof data === 'object') onEvent(type, data);
      });
    }
    es.onerror = () => {
      if (closed) return;
      if (es.readyState !== EventSource.CLOSED) {
        conn.setStream('connecting');
        return;
      }
      conn.setStream('closed');
      timer = setTimeout(open, delay);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    };
  }

  open();
  return () => {
    closed = true;
    clearTimeout(timer);
    es?.close();
  };
}
