// One multi-value filter (region, user, …): offers the values that exist in the time range, typed searches,
// custom values and the dashboard's template variables.
import type { ComboboxOption } from '@grafana/ui';
import { MultiCombobox } from '@grafana/ui';
import { getTemplateSrv } from '@grafana/runtime';
import { createContext, useCallback, useContext } from 'react';
import type { Dimension } from '../../model/query';
import type { LoadValues } from './useValueLookup';

interface Props {
  dimension: Dimension;
  values: string[] | undefined;
  onChange: (values: string[]) => void;
  loadValues: LoadValues;
  id?: string;
  /** Smallest width; the box grows with its values up to three times that. */
  minWidth?: number;
  placeholder?: string;
}

/**
 * The dashboard variables the lists below leave out, asked when a list opens. The variable editor gives its own
 * variable and those depending on it (picking one would make the variable depend on itself); elsewhere none.
 */
export const LeftOutVariables = createContext<() => ReadonlySet<string>>(() => new Set());

/** "$name" for each dashboard variable that contains the search text, but those left out. */
export function variableOptions(search: string, leftOut: ReadonlySet<string> = new Set()): Array<ComboboxOption<string>> {
  const needle = search.toLowerCase();
  return getTemplateSrv()
    .getVariables()
    .filter((v) => !leftOut.has(v.name))
    .map((v) => `$${v.name}`)
    .filter((name) => name.toLowerCase().includes(needle))
    .map((name) => ({ value: name, label: name, description: 'Dashboard variable' }));
}

/** variableOptions, leaving out what the editor around says to. */
export function useVariableOptions(): (search: string) => Array<ComboboxOption<string>> {
  const leftOut = useContext(LeftOutVariables);
  return useCallback((search: string) => variableOptions(search, leftOut()), [leftOut]);
}

export function FilterField({ dimension, values, onChange, loadValues, id, minWidth = 20, placeholder = 'Any' }: Props) {
  const variableOptionsFor = useVariableOptions();
  const options = useCallback(
    async (search: string): Promise<Array<ComboboxOption<string>>> => {
      const variables = variableOptionsFor(search);
      try {
        const found = await loadValues(dimension, search);
        const counted = found.map((v) => ({ value: v.value, label: v.value, description: `${v.count.toLocaleString()} events` }));
        return [...variables, ...counted];
      } catch {
        // The editor shows the failure once, above the rows; variables and typed values still work.
        return variables;
      }
    },
    [dimension, loadValues, variableOptionsFor]
  );
  return (
    <MultiCombobox<string>
      id={id}
      width="auto"
      minWidth={minWidth}
      maxWidth={minWidth * 3}
      placeholder={placeholder}
      value={(values ?? []).map((v) => ({ value: v, label: v }))}
      options={options}
      createCustomValue
      customValueDescription="Use this value"
      isClearable
      onChange={(selected) => onChange(selected.map((o) => o.value))}
    />
  );
}
