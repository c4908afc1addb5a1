// What a query leaves out (its `exclude`): the filters' dimensions and pickers, values left out instead of kept. One
// "Leave out" box adds a dimension; each added one is a field of its own, so a query without exclusions takes one box.
import { AccessoryButton, EditorField, EditorFieldGroup, EditorRow, InputGroup } from '@grafana/plugin-ui';
import { Combobox, type ComboboxOption } from '@grafana/ui';
import { useEffect, useState } from 'react';
import { FILTER_KEYS, filterValues, type FilterKey } from '../../model/query';
import type { Query } from '../types';
import { FilterField } from './FilterField';
import { FILTER_LABELS, FILTER_TOOLTIPS } from './labels';
import type { LoadValues } from './useValueLookup';

interface Props {
  /** The FiltersEditor's id, which the fields' ids start with. */
  id: string;
  query: Query;
  onChange: (query: Query) => void;
  loadValues: LoadValues;
}

const isFilterKey = (key: string): key is FilterKey => (FILTER_KEYS as readonly string[]).includes(key);

// Blank values leave nothing out (the service drops them), so they are not shown either.
const valuesOf = (exclude: Query['exclude'], key: FilterKey) => filterValues(exclude?.[key]).filter((v) => v.trim() !== '');

export const EXCLUDE_TOOLTIP =
  'Leave out the events with one of the values you pick, for any dimension of the filters: an event matching any exclusion does not ' +
  'count. An event without a value (no role) is none of them';

export function ExclusionsEditor({ id, query, onChange, loadValues }: Props) {
  // Dimensions added (or emptied) here without values yet: they show, but the query holds only lists with values.
  const [pending, setPending] = useState<FilterKey[]>([]);
  // The id of the control to focus after this render.
  const [focus, setFocus] = useState<string>();
  const fieldId = (key: FilterKey) => `${id}-exclude-${key}`;
  const addId = `${id}-exclude-add`;
  // A dimension just added: its field takes the focus, to pick the values (the box has no autoFocus of its own). One
  // just removed: the Leave out box does, as the trash button that had it is gone.
  useEffect(() => {
    if (focus) {
      document.getElementById(focus)?.focus();
      setFocus(undefined);
    }
  }, [focus]);

  // In the query's own order (a new one comes last, where it was added), then the ones without values yet.
  const stored = Object.keys(query.exclude ?? {}).filter((key): key is FilterKey => isFilterKey(key) && valuesOf(query.exclude, key).length > 0);
  const shown = [...stored, ...pending.filter((key) => !stored.includes(key))];
  const addable = FILTER_KEYS.filter((key) => !shown.includes(key)).map((key) => ({ value: key, label: FILTER_LABELS[key] }));

  const setValues = (key: FilterKey, values: string[]) => {
    const exclude = { ...query.exclude };
    if (values.length > 0) {
      exclude[key] = values;
    } else {
      // Emptied, not removed: the field stays for other values.
      delete exclude[key];
      setPending((keys) => (keys.includes(key) ? keys : [...keys, key]));
    }
    onChange({ ...query, exclude });
  };
  const remove = (key: FilterKey) => {
    setPending((keys) => keys.filter((k) => k !== key));
    setFocus(addId);
    if (query.exclude && key in query.exclude) {
      const exclude = { ...query.exclude };
      delete exclude[key];
      onChange({ ...query, exclude });
    }
  };

  return (
    <EditorRow>
      <EditorFieldGroup>
        {addable.length > 0 && (
          <EditorField label="Leave out" optional tooltip={EXCLUDE_TOOLTIP} htmlFor={addId}>
            <Combobox<FilterKey>
              // A new box for each set of fields: the Combobox keeps the text of a pick (its value stays null), so the
              // box went on showing a dimension that is now a field of its own and no longer one of its choices.
              key={shown.join()}
              id={addId}
              width={20}
              placeholder="Add exclusion"
              options={addable}
              // Never holds a choice: picking a dimension adds its field, and the box is ready for the next.
              value={null}
              // Grafana 12.3's box hands over no option (null or undefined) when cleared: nothing to add then.
              onChange={(option?: ComboboxOption<FilterKey> | null) => {
                if (!option) return;
                setPending((keys) => [...keys, option.value]);
                setFocus(fieldId(option.value));
              }}
            />
          </EditorField>
        )}
        {shown.map((key) => (
          <EditorField
            key={key}
            label={`${FILTER_LABELS[key]} is not`}
            tooltip={[`Leaves out the events whose ${FILTER_LABELS[key]} is one of these`, FILTER_TOOLTIPS[key]].filter(Boolean).join('. ')}
            htmlFor={fieldId(key)}
          >
            <InputGroup>
              <FilterField
                id={fieldId(key)}
                dimension={key}
                minWidth={20}
                placeholder="Pick values"
                values={valuesOf(query.exclude, key)}
                loadValues={loadValues}
                onChange={(values) => setValues(key, values)}
              />
              <AccessoryButton
                aria-label={`Remove the ${FILTER_LABELS[key]} exclusion`}
                tooltip="Leave out nothing by this"
                icon="trash-alt"
                variant="secondary"
                onClick={() => remove(key)}
              />
            </InputGroup>
          </EditorField>
        ))}
      </EditorFieldGroup>
    </EditorRow>
  );
}
