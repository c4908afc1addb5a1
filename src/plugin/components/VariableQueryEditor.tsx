// Editor for a query variable: which dimension to list, optionally only values containing a search text, and by which
// time the range applies (as the query editor's "Time": the Events dashboard's lists follow its $timeField).
import type { QueryEditorProps } from '@grafana/data';
import { EditorField, EditorFieldGroup, EditorRow, EditorRows } from '@grafana/plugin-ui';
import { getTemplateSrv, locationService } from '@grafana/runtime';
import { Combobox, type ComboboxOption } from '@grafana/ui';
import { useCallback, useEffect, useRef, useState } from 'react';
import { type Dimension, isDimension } from '../../model/query';
import type { DataSource } from '../datasource';
import type { Options, Query, VariableQuery } from '../types';
import { BlurInput } from './BlurInput';
import { LeftOutVariables } from './FilterField';
import { DIMENSION_OPTIONS } from './labels';
import { TimeFieldChoice } from './TimeFieldChoice';
import { settingsViewIndex, variablesLeftOut } from '../variableDependencies';
import { variableQueryOf } from '../variableQuery';

type Props = QueryEditorProps<DataSource, Query, Options, VariableQuery>;

export function VariableQueryEditor({ query, onChange }: Props) {
  const current = variableQueryOf(query);
  const [opened] = useState<unknown>(query);
  // A brand-new variable arrives without a dimension (or, from old dashboards, as a string): store the default the
  // editor shows, so the saved variable says what it lists. Only for the query the editor opens with: when the
  // variable's data source is changed to another type, Grafana empties its query and renders this editor with it once
  // more while the new one loads, and storing our default then would hand the other data source our query.
  const storeDefault = useRef(variableQueryOf(opened) !== opened);
  useEffect(() => {
    if (storeDefault.current) {
      storeDefault.current = false;
      onChange(current);
    }
  }, [current, onChange]);
  // The variable lists (Time's "$") leave out this variable and those depending on it; Grafana names neither, so
  // they are found from the query this editor was opened with and the one it holds, and the settings view's URL
  // (see variablesLeftOut).
  const leftOut = useCallback(
    () => variablesLeftOut(opened, query, getTemplateSrv().getVariables(), settingsViewIndex(locationService.getSearchObject())),
    [opened, query]
  );
  return (
    <LeftOutVariables.Provider value={leftOut}>
      <EditorRows>
        <EditorRow>
          <EditorFieldGroup>
            <EditorField label="Values of" htmlFor="trailhound-variable-dimension" tooltip="Distinct values in the dashboard's time range, most frequent first">
              <Combobox
                id="trailhound-variable-dimension"
                width={24}
                options={dimensionOptions(current.dimension)}
                value={typeof current.dimension === 'string' ? current.dimension : null}
                // Enter on a typed search hands over no option (undefined) when the list it filtered is shorter than the
                // position of the dimension chosen before: the dimension stays until one is picked.
                onChange={(option?: ComboboxOption<Dimension> | null) => option && onChange({ ...current, dimension: option.value })}
              />
            </EditorField>
            <EditorField
              label="Containing"
              optional
              htmlFor="trailhound-variable-search"
              tooltip="Only values containing this text (case-insensitive); may use other variables"
            >
              <BlurInput
                id="trailhound-variable-search"
                width={30}
                placeholder="e.g. admin"
                value={current.search ?? ''}
                // Grafana may take the editor away with the focus still in the box (the settings view left by the
                // browser's Back): the search typed is kept, as on leaving the box.
                commitWhenRemoved
                onCommit={(search) => onChange({ ...current, search })}
              />
            </EditorField>
            <TimeFieldChoice id="trailhound-variable-time-field" value={current.timeField} onChange={(timeField) => onChange({ ...current, timeField })} />
          </EditorFieldGroup>
        </EditorRow>
      </EditorRows>
    </LeftOutVariables.Provider>
  );
}

/**
 * The dimensions to pick from, with a stored one this plugin does not know (a typo in the JSON, a newer plugin's) shown as
 * it is, so that the variable's query is seen as saved rather than as another dimension.
 */
function dimensionOptions(stored: unknown): Array<ComboboxOption<Dimension>> {
  if (typeof stored !== 'string' || isDimension(stored)) return DIMENSION_OPTIONS;
  return [...DIMENSION_OPTIONS, { value: stored as Dimension, label: stored, description: 'Not a dimension this plugin knows' }];
}
