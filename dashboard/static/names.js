// Restaurant names from the catalog, as the API gives them, kept for the
// live feeds, whose events carry ids only.
import { api } from './api.js';

// RELOAD_MS is how often the full list is read again, for restaurants
// that got their first order since.
const RELOAD_MS = 60_000;

const names = new Map();
let loadedAt = 0;

// learn remembers the names of restaurants the API returned.
export function learn(...restaurants) {
  for (const r of restaurants.flat()) if (r?.name && r.restaurant_id) names.set(r.restaurant_id, r.name);
}

// nameOf is the name of restaurant id, or the id while it is unknown.
export function nameOf(id) {
  return names.get(id) || id;
}

// loadNames reads every restaurant's name, at most every RELOAD_MS.
export async function loadNames() {
  if (Date.now() - loadedAt < RELOAD_MS) return;
  loadedAt = Date.now();
  try {
    learn((await api.restaurants('orders', 1000)).restaurants || []);
  } catch {
    loadedAt = 0; // try again on the next refresh
  }
}
