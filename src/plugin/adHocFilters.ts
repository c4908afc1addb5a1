// A dashboard's "Ad hoc filters" variable: its keys are the query model's filters, its values the service's value
// lists, and each filter it holds narrows the events and totals reports as one more condition on the query.
import type { AdHocVariableFilter, MetricFindValue } from '@grafana/data';
import { DEFAULT_QUERY, FILTER_KEYS, QueryError, type FilterKey, type Filters, type QueryType } from '../model/query';
import { FILTER_LABELS } from './components/labels';
import type { Query } from './types';

/** The reports that filters and exclusions narrow: the trails list and the ingestion reports have none. */
const FILTERED_QUERY_TYPES: readonly QueryType[] = ['events', 'totals'];

/** Keep the events with one of the values (`=|` is Grafana's "one of"), or leave them out. */
const KEEP_OPERATORS = ['=', '=|'];
const LEAVE_OUT_OPERATORS = ['!=', '!=|'];

/** The keys an ad hoc filter offers: the editor's filter fields, by the labels it shows. */
export function adHocKeys(): MetricFindValue[] {
  return FILTER_KEYS.map((key) => ({ text: FILTER_LABELS[key], value: key }));
}

export function isFilterKey(key: string): key is FilterKey {
  return (FILTER_KEYS as readonly string[]).includes(key);
}

/** Whether a query, its variables expanded, is one that filters narrow. */
export function takesFilters(query: Pick<Query, 'queryType'>): boolean {
  return FILTERED_QUERY_TYPES.includes(query.queryType || DEFAULT_QUERY.queryType);
}

/**
 * The query with the dashboard's ad hoc filters added to what it already filters on, as one more condition each (an
 * event must match the query and every ad hoc filter, as a WHERE clause's AND): `=`/`=|` narrow the query's own list
 * of that key to the values in both, `!=`/`!=|` add their values to its exclusions. A query that filters users a and
 * b under an ad hoc user = b keeps b; under user = c it keeps nothing, not a, b or c. Any other operator (regular
 * expressions, < and >) throws a QueryError: the panel says so rather than showing more events than the dashboard
 * says. Reports without filters come back as they are.
 */
export function withAdHocFilters(query: Query, adHoc: AdHocVariableFilter[] | undefined): Query {
  if (!adHoc?.length || !takesFilters(query)) {
    return query;
  }
  // A key absent or with no values (a variable at "All" with a blank all value) is not narrowed.
  const keep = new Map<FilterKey, string[]>(listed(query.filters));
  const leaveOut = new Map<FilterKey, string[]>(listed(query.exclude));
  const leaveOutToo = (key: FilterKey, values: string[]) => leaveOut.set(key, [...new Set([...(leaveOut.get(key) ?? []), ...values])]);
  for (const filter of adHoc) {
    const { key, values } = checked(filter);
    if (LEAVE_OUT_OPERATORS.includes(filter.operator)) {
      leaveOutToo(key, values);
      continue;
    }
    const kept = keep.get(key);
    const both = kept ? kept.filter((v) => values.includes(v)) : values;
    if (both.length > 0) {
      keep.set(key, both);
    } else {
      // No value is in both: no event matches. An empty list would mean "any value", so the ad hoc values are kept
      // and left out at once, which the service answers with the report's own "nothing" (no series, zero totals).
      keep.set(key, values);
      leaveOutToo(key, values);
    }
  }
  return { ...query, filters: Object.fromEntries(keep) as Filters, exclude: Object.fromEntries(leaveOut) as Filters };
}

/** An ad hoc filter a query could not take, and why (the QueryError's message, which names the filter). */
export interface LeftOutFilter {
  filter: AdHocVariableFilter;
  reason: string;
}

/**
 * The query with the ad hoc filters it can take, and those it cannot, left out: for where a refusal would leave nothing
 * to show (Explore, a filter's value list), not a panel's query. One filter at a time gives what all at once would:
 * each is one more condition (an AND).
 */
export function withApplicableAdHocFilters(query: Query, adHoc: AdHocVariableFilter[] | undefined): { query: Query; leftOut: LeftOutFilter[] } {
  const leftOut: LeftOutFilter[] = [];
  const applied = (adHoc ?? []).reduce((q, filter) => {
    try {
      return withAdHocFilters(q, [filter]);
    } catch (err) {
      if (!(err instanceof QueryError)) {
        throw err;
      }
      leftOut.push({ filter, reason: err.message });
      return q;
    }
  }, query);
  return { query: applied, leftOut };
}

/** A query's filters or exclusions (already expanded to lists), without the keys that list nothing. */
function listed(filters: Filters | undefined): Array<[FilterKey, string[]]> {
  const entries = Object.entries(filters ?? {}) as Array<[FilterKey, string[] | undefined]>;
  return entries.filter((entry): entry is [FilterKey, string[]] => Boolean(entry[1]?.length));
}

/** An ad hoc filter's key and values, or a QueryError saying what the data source cannot do with it. */
function checked(filter: AdHocVariableFilter): { key: FilterKey; values: string[] } {
  const multi = filter.operator === '=|' || filter.operator === '!=|';
  const given = multi && filter.values?.length ? filter.values : [filter.value];
  const shown = `ad hoc filter ${JSON.stringify(`${filter.key} ${filter.operator} ${given.join(', ')}`)}`;
  if (!isFilterKey(filter.key)) {
    throw new QueryError(shown, `${JSON.stringify(filter.key)} is not a Trailhound filter; use one of ${FILTER_KEYS.join(', ')}`, 'unknown-filter');
  }
  if (!KEEP_OPERATORS.includes(filter.operator) && !LEAVE_OUT_OPERATORS.includes(filter.operator)) {
    throw new QueryError(shown, `${filter.operator} is not supported: Trailhound matches whole values; use =, !=, or their "one of" forms (=| and !=|)`);
  }
  // Not trimmed, as the editor's filters: a stored value can end in a space.
  const values = [...new Set(given.filter((v) => typeof v === 'string' && v.trim() !== ''))];
  if (values.length === 0) {
    throw new QueryError(shown, 'has no value: pick one');
  }
  return { key: filter.key, values };
}
