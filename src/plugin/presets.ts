// Common Searches fill the same query model: the preset's fields replace the narrowing ones, while how the
// panel shows results (format, aggregate, peak window, time field, limit) stays as the user set it. What the user left out
// (exclude) narrows too, so it goes with the filters: a preset answers its question whole (every unauthorized
// attempt, as the classic report counts them), and sets exclusions of its own when it has some.
import { type CommonSearch, type CommonSearchInputs } from '../model/commonSearches';
import type { Query } from './types';

export function applyCommonSearch(current: Query, search: CommonSearch, inputs: CommonSearchInputs): Query {
  const { refId, datasource, hide, key, format, aggregate, peakWindow, timeField, limit } = current;
  const kept: Query = { refId, datasource, hide, key, format, aggregate, peakWindow, timeField, limit };
  // Drop the keys that were never set, so the stored query stays as small as before.
  for (const k of Object.keys(kept) as Array<keyof Query>) {
    if (kept[k] === undefined) {
      delete kept[k];
    }
  }
  return { ...kept, ...search.query(inputs) };
}
