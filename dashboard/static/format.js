// Formatting of the API's values: money in integer cents, counts, times.

// CURRENCY is what amounts are shown in; the API's cents carry none.
export const CURRENCY = 'EUR';

const wholeFmt = new Intl.NumberFormat('en-US', {
  style: 'currency', currency: CURRENCY, minimumFractionDigits: 0, maximumFractionDigits: 0,
});
const countFmt = new Intl.NumberFormat('en-US');
const rateFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const timeFmt = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateFmt = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });

// money formats integer cents exactly: 123456 → "€1,234.56". The cents are
// split off as integers, so no float rounding reaches the display.
export function money(cents) {
  if (typeof cents !== 'number' || !Number.isFinite(cents)) return '–';
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(cents));
  return sign + wholeFmt.format(Math.trunc(abs / 100)) + '.' + String(abs % 100).padStart(2, '0');
}

export function count(n) {
  return typeof n === 'number' && Number.isFinite(n) ? countFmt.format(n) : '–';
}

export function rate(n) {
  return typeof n === 'number' && Number.isFinite(n) ? rateFmt.format(n) : '–';
}

// duration formats milliseconds: 950 → "950 ms", 75000 → "1 min 15 s".
export function duration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return Math.round(ms) + ' ms';
  const sec = Math.round(ms / 1000);
  if (sec < 60) return sec + ' s';
  const min = Math.floor(sec / 60);
  if (min < 60) return min + ' min' + (sec % 60 ? ' ' + (sec % 60) + ' s' : '');
  return Math.floor(min / 60) + ' h ' + (min % 60) + ' min';
}

// date parses an RFC 3339 time; Go's zero time and garbage are null.
export function date(v) {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) || d.getUTCFullYear() <= 1 ? null : d;
}

export function clock(v) {
  const d = v instanceof Date ? v : date(v);
  return d ? timeFmt.format(d) : '–';
}

export function when(v) {
  const d = v instanceof Date ? v : date(v);
  return d ? dateFmt.format(d) : '–';
}

// ago is a coarse relative time: "12 s ago", "3 min ago".
export function ago(v, now = Date.now()) {
  const d = v instanceof Date ? v : date(v);
  if (!d) return '–';
  const sec = Math.max(0, Math.round((now - d.getTime()) / 1000));
  if (sec < 60) return sec + ' s ago';
  if (sec < 3600) return Math.floor(sec / 60) + ' min ago';
  if (sec < 86400) return Math.floor(sec / 3600) + ' h ago';
  return Math.floor(sec / 86400) + ' d ago';
}

// label turns an API status or field name into words: "picked_up" → "picked up".
export function label(s) {
  return String(s ?? '').replace(/_/g, ' ');
}
