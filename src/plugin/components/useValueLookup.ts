// The editors' dropdown lookups: values of a dimension within the panel's time range, by the query's own time field.
// A failed lookup is remembered so the editor can say why a field has no suggestions instead of showing an empty list.
import type { TimeRange } from '@grafana/data';
import { useCallback, useRef, useState } from 'react';
import type { Dimension, TimeField } from '../../model/query';
import type { ValueCount, ValuesRequest } from '../types';

export interface ValueSource {
  values(dimension: Dimension, request?: ValuesRequest): Promise<ValueCount[]>;
}

export type LoadValues = (dimension: Dimension, search: string) => Promise<ValueCount[]>;

/** A dimension whose lookup failed, and why. */
export interface LookupFailure {
  dimension: Dimension;
  message: string;
}

/**
 * `timeField` is the query's (a $timeField variable included): with arrival time, the values of what arrived in the range.
 * `error` is the newest failure that stands: a dimension's failure stands until a lookup of that dimension works.
 */
export function useValueLookup(datasource: ValueSource, range?: TimeRange, timeField?: TimeField): { loadValues: LoadValues; error?: LookupFailure } {
  // Newest last, one per dimension.
  const [failures, setFailures] = useState<LookupFailure[]>([]);
  // Each dimension's newest lookup: the answer of one overtaken by a newer (typed on, the range changed) says nothing.
  const newest = useRef(new Map<Dimension, number>());
  const started = useRef(0);
  const from = range?.from.valueOf();
  const to = range?.to.valueOf();
  const loadValues = useCallback<LoadValues>(
    async (dimension, search) => {
      const lookup = ++started.current;
      newest.current.set(dimension, lookup);
      const settle = (failure?: LookupFailure) => {
        if (newest.current.get(dimension) === lookup) {
          setFailures((all) => {
            const others = all.filter((f) => f.dimension !== dimension);
            return failure ? [...others, failure] : others.length === all.length ? all : others;
          });
        }
      };
      try {
        const values = await datasource.values(dimension, { from, to, q: search, timeField });
        settle();
        return values;
      } catch (err) {
        settle({ dimension, message: errorMessage(err) });
        throw err;
      }
    },
    [datasource, from, to, timeField]
  );
  return { loadValues, error: failures.at(-1) };
}

/** Grafana's backend errors come as {data: {message}}, {message} or plain Errors. */
export function errorMessage(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { data?: { message?: string; error?: string }; message?: string; statusText?: string };
    return e.data?.message ?? e.data?.error ?? e.message ?? e.statusText ?? 'unknown error';
  }
  return String(err);
}
