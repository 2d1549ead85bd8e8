// Orders per minute, from whatever the API gives: a series of its own, a
// current rate, or only a running total, which the page samples.

// WINDOW_MS is the span a rate is measured over when the page derives it
// from a running total; MAX_SAMPLES bounds the history kept in the page.
const WINDOW_MS = 60_000;
// MIN_SPAN_MS is the shortest span a derived rate is shown for: over a
// couple of seconds a handful of orders would read as a wild rate.
const MIN_SPAN_MS = 10_000;
const MAX_SAMPLES = 300;

function toDate(v) {
  if (v == null || v === '') return null;
  const d = new Date(typeof v === 'number' && v < 1e11 ? v * 1000 : v);
  return Number.isNaN(d.getTime()) ? null : d;
}

// MINUTE is the width of a bucket; SHOWN_MINUTES bounds how many are drawn,
// and at least MIN_MINUTES are, so a fresh system shows a time axis.
const MINUTE = 60_000;
const SHOWN_MINUTES = 60;
const MIN_MINUTES = 15;

// fromAPI turns a list the API gives into one point per minute, oldest
// first, up to the current minute, minutes without orders as zeros, from
// the first with orders (but at least MIN_MINUTES) to now. The
// list holds plain counts, one per minute ending now, or objects with a
// start time and a count under one of the usual names. Anything else is
// null.
export function fromAPI(list, now = Date.now()) {
  if (!Array.isArray(list)) return null;
  const thisMinute = Math.floor(now / MINUTE) * MINUTE;
  const counts = new Map();
  list.forEach((e, i) => {
    let t = null;
    let v = null;
    if (typeof e === 'number') {
      [t, v] = [thisMinute - (list.length - 1 - i) * MINUTE, e];
    } else if (e && typeof e === 'object') {
      t = toDate(e.start ?? e.minute ?? e.at ?? e.t ?? e.time)?.getTime();
      v = e.count ?? e.orders ?? e.n ?? e.value ?? e.v;
    }
    if (Number.isFinite(t) && typeof v === 'number') {
      const m = Math.floor(t / MINUTE) * MINUTE;
      counts.set(m, (counts.get(m) ?? 0) + v);
    }
  });
  // From the first minute with orders, at least MIN_MINUTES back.
  const busy = [...counts].filter(([, v]) => v > 0).map(([m]) => m);
  const last = Math.max(thisMinute, ...counts.keys());
  const first = Math.max(last - (SHOWN_MINUTES - 1) * MINUTE,
    Math.min(last - (MIN_MINUTES - 1) * MINUTE, ...busy));
  const points = [];
  for (let m = first; m <= last; m += MINUTE) points.push({ t: new Date(m), v: counts.get(m) ?? 0 });
  return points;
}

// Sampler keeps what the page saw of a counter over time.
export class Sampler {
  constructor() {
    this.samples = [];
  }

  // add records value at time t; rate says it already is a per-minute
  // rate, otherwise it is a running total.
  add(value, rate = false, t = Date.now()) {
    if (typeof value !== 'number') return;
    const last = this.samples.at(-1);
    if (last && last.rate !== rate) this.samples = [];
    this.samples.push({ t, value, rate });
    if (this.samples.length > MAX_SAMPLES) this.samples.shift();
  }

  // points returns per-minute rates: the sampled rates as they are, or,
  // for a total, its growth over the last WINDOW_MS (or since the first
  // sample) before each sample.
  points() {
    const out = [];
    let j = 0;
    this.samples.forEach((cur, i) => {
      if (cur.rate) {
        out.push({ t: new Date(cur.t), v: cur.value });
        return;
      }
      while (j < i - 1 && cur.t - this.samples[j + 1].t >= WINDOW_MS) j++;
      const from = this.samples[j];
      if (cur.t - from.t < MIN_SPAN_MS) return;
      out.push({ t: new Date(cur.t), v: Math.max(0, ((cur.value - from.value) * 60_000) / (cur.t - from.t)) });
    });
    return out;
  }
}

// perMinute is the series to chart for an API value v (a list, a rate or
// absent) and the running total it belongs to, sampled in sampler. kind is
// 'bar' for per-minute buckets from the API, 'line' for sampled rates.
export function perMinute(v, total, sampler) {
  const list = fromAPI(v);
  if (list) return { kind: 'bar', points: list, sampled: false };
  if (typeof v === 'number') sampler.add(v, true);
  else sampler.add(total, false);
  return { kind: 'line', points: sampler.points(), sampled: true };
}

// current is the per-minute figure to show as a number: v itself where the
// API gives one, the last complete minute of a per-minute series, or the
// latest sampled rate.
export function current(v, series, now = Date.now()) {
  if (typeof v === 'number') return v;
  const pts = series.points;
  if (!series.sampled) {
    const done = pts.filter((p) => p.t.getTime() + MINUTE <= now);
    return done.length ? done.at(-1).v : null;
  }
  return pts.length ? pts.at(-1).v : null;
}
