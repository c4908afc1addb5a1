// The editors' dropdown lookups: values of a dimension within the panel's time range, by the query's own time field.
// A failed lookup is remembered so the editor can say the service is unreachable instead of showing an empty list.
import type { TimeRange } from '@grafana/data';
import { useCallback, useState } from 'react';
import type { Dimension, TimeField } from '../../model/query';
import type { ValueCount, ValuesRequest } from '../types';

export interface ValueSource {
  values(dimension: Dimension, request?: ValuesRequest): Promise<ValueCount[]>;
}

export type LoadValues = (dimension: Dimension, search: string) => Promise<ValueCount[]>;

/** `timeField` is the query's (a $timeField variable included): with arrival time, the values of what arrived in the range. */
export function useValueLookup(datasource: ValueSource, range?: TimeRange, timeField?: TimeField): { loadValues: LoadValues; error?: string } {
  const [error, setError] = useState<string>();
  const from = range?.from.valueOf();
  const to = range?.to.valueOf();
  const loadValues = useCallback<LoadValues>(
    async (dimension, search) => {
      try {
        const values = await datasource.values(dimension, { from, to, q: search, timeField });
        setError(undefined);
        return values;
      } catch (err) {
        setError(errorMessage(err));
        throw err;
      }
    },
    [datasource, from, to, timeField]
  );
  return { loadValues, error };
}

/** Grafana's backend errors come as {data: {message}}, {message} or plain Errors. */
export function errorMessage(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { data?: { message?: string; error?: string }; message?: string; statusText?: string };
    return e.data?.message ?? e.data?.error ?? e.message ?? e.statusText ?? 'unknown error';
  }
  return String(err);
}
