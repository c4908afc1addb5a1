// The filters' view holds one thing the query does not: a Leave out field added but still without values. It must not
// outlive a query replaced from outside the editor (query history, the query's JSON, undo) or by a Common Search, or
// the editor would show what the query does not hold. So the view has a key that changes then, and starts over.
import { useState } from 'react';
import type { Query } from '../types';

/**
 * `change` is the editor's own onChange; a query that arrives other than as it last sent one is an outside change.
 * `startOver` sends a query that replaces what narrows the events (a preset).
 */
/**
 * The query as the editor writes it, without what Grafana keeps on it (the data source reference, the row's key and
 * hidden switch): a host that adds those to the query it passes back has not replaced it, and starting over on each of
 * the editor's own changes would drop the focus from the filter being picked.
 */
const ownPart = (query: Query) => JSON.stringify({ ...query, datasource: undefined, key: undefined, hide: undefined });

export function useStartOver(query: Query, onChange: (query: Query) => void) {
  const [sent, setSent] = useState(query);
  const [key, setKey] = useState(0);
  // By value: a host that passes back a copy of the query it was sent has not changed it.
  if (query !== sent && ownPart(query) !== ownPart(sent)) {
    setSent(query);
    setKey((k) => k + 1);
  }
  const change = (next: Query) => {
    setSent(next);
    onChange(next);
  };
  const startOver = (next: Query) => {
    setKey((k) => k + 1);
    change(next);
  };
  return { key, change, startOver };
}
