// The filters' view holds one thing the query does not: a Leave out field added but still without values. It must not
// outlive a query replaced from outside the editor (query history, the query's JSON, undo) or by a Common Search, or
// the editor would show what the query does not hold. So the view has a key that changes then, and starts over.
import { useState } from 'react';
import { MODEL_KEYS } from '../../model/query';
import type { Query } from '../types';

/** Shown as an absent one is: the field's default, no filter. */
function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

/** A value with its objects' keys in order and their empty values left out. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.keys(value)
    .sort()
    .map((key): [string, unknown] => [key, canonical((value as Record<string, unknown>)[key])]);
  return Object.fromEntries(entries.filter(([, v]) => !isEmpty(v)));
}

/**
 * What the editor shows of a query: its model's fields, whatever else a host keeps on it (the data source, the row's
 * key, hide, alerting's intervalMs and maxDataPoints), in whatever order it rebuilt it (a JSON round trip through Go
 * sorts keys), an empty list or object as none. A query that shows the same has not been replaced.
 */
export function shownOf(query: Query): string {
  return JSON.stringify(canonical(Object.fromEntries(MODEL_KEYS.map((key) => [key, query[key]]))));
}

/** The most of the editor's own changes a host may still be behind with: a host that never passes one back is not kept up with. */
const MAX_PENDING = 20;

/**
 * `change` is the editor's own onChange; `startOver` sends a query that replaces what narrows the events (a preset).
 * A query the host passes that is neither the one it passed before nor one the editor sent since is an outside change.
 * The host need not pass back the very query it was sent, nor at once: a copy, a rebuilt one, or one a render late
 * (the previous query passed again meanwhile) is not a replacement, and starting over on it would drop the Leave out
 * field just added, and the focus from the filter being picked.
 */
export function useStartOver(query: Query, onChange: (query: Query) => void) {
  // The query the host passed last, and what the editor has sent since that the host has not passed back, oldest first.
  const [seen, setSeen] = useState<{ given: Query; pending: string[] }>({ given: query, pending: [] });
  const [key, setKey] = useState(0);
  if (query !== seen.given) {
    const shown = shownOf(query);
    if (shown === shownOf(seen.given)) {
      // A copy of what it passed before: nothing new, or the editor's change not passed back yet.
      setSeen({ given: query, pending: seen.pending });
    } else {
      const at = seen.pending.indexOf(shown);
      if (at < 0) setKey((k) => k + 1);
      // The editor's changes before the one passed back are behind the host now.
      setSeen({ given: query, pending: at < 0 ? [] : seen.pending.slice(at + 1) });
    }
  }
  const change = (next: Query) => {
    const shown = shownOf(next);
    // Not on its way when it shows what the host will hold anyway: the last change on its way, else the query it passed.
    // (Not the query it passed alone: a change back to it, sent before the host passed the one on its way back, is on
    // its way too, and the host passes it after that one.)
    setSeen((s) => (shown === (s.pending.at(-1) ?? shownOf(s.given)) ? s : { ...s, pending: [...s.pending, shown].slice(-MAX_PENDING) }));
    onChange(next);
  };
  const startOver = (next: Query) => {
    setKey((k) => k + 1);
    change(next);
  };
  return { key, change, startOver };
}
