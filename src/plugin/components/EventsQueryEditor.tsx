// The Events report: what to count and how to show it, then the filters.
import type { CoreApp } from '@grafana/data';
import { EditorField, EditorFieldGroup, EditorRow } from '@grafana/plugin-ui';
import { Combobox, type ComboboxOption } from '@grafana/ui';
import { useId } from 'react';
import { DEFAULT_QUERY, EVENT_LISTS, type GroupBy } from '../../model/query';
import type { Query } from '../types';
import { ChoiceField, choicesAndVariables, choicesFor, selected } from './ChoiceField';
import { CommonSearches } from './CommonSearches';
import { FiltersEditor } from './FiltersEditor';
import { AGGREGATES, FORMATS, GROUP_BYS } from './labels';
import { LimitField } from './LimitField';
import { PeakWindowField } from './PeakWindowField';
import { TimeFieldChoice } from './TimeFieldChoice';
import { useStartOver } from './useStartOver';
import type { LoadValues } from './useValueLookup';

interface Props {
  query: Query;
  onChange: (query: Query) => void;
  loadValues: LoadValues;
  /** Where the editor is: an alert rule gets no list of events. */
  app?: CoreApp;
}

export function EventsQueryEditor({ query, onChange: send, loadValues, app }: Props) {
  const format = query.format ?? DEFAULT_QUERY.format;
  const listed = EVENT_LISTS.includes(format);
  // Ids unique per editor: a panel's queries A, B … each have these controls.
  const id = useId();
  // A preset, or a query replaced from outside, starts the filters over (a new key): no field of their own, such as a
  // Leave out field added but left empty, outlives it.
  const { key, change: onChange, startOver } = useStartOver(query, send);
  return (
    <>
      <CommonSearches query={query} onChange={startOver} loadValues={loadValues} />
      <EditorRow>
        <EditorFieldGroup>
          <ChoiceField
            id={`${id}-format`}
            label="Format"
            tooltip={
              'Time series: a series per group over time; Table: a row per group with its total; Event list: the events themselves; ' +
              'Log lines: the events as lines of a log, for the Logs view'
            }
            options={choicesFor(FORMATS, app, EVENT_LISTS, format)}
            value={format}
            onChange={(f) => onChange({ ...query, format: f })}
          />
          {!listed && (
            <EditorField
              label="Group by"
              tooltip="What a series or a row counts the events of: each user, event name, IP address …"
              htmlFor={`${id}-group-by`}
            >
              <Combobox
                id={`${id}-group-by`}
                width={22}
                options={async (search) => choicesAndVariables(GROUP_BYS, search)}
                value={selected(GROUP_BYS, query.groupBy ?? DEFAULT_QUERY.groupBy)}
                // A dashboard variable ($groupBy) stands for one of the choices. A cleared box hands over no option (null,
                // or undefined, whatever the types say): the query keeps what it groups by until something is picked.
                onChange={(option?: ComboboxOption<string> | null) => option && onChange({ ...query, groupBy: option.value as GroupBy })}
              />
            </EditorField>
          )}
          {format === 'timeseries' && (
            <ChoiceField
              id={`${id}-aggregate`}
              label="Aggregate"
              tooltip="Bucket width; Auto follows the panel's interval"
              options={AGGREGATES}
              value={query.aggregate ?? DEFAULT_QUERY.aggregate}
              onChange={(aggregate) => onChange({ ...query, aggregate })}
            />
          )}
          <TimeFieldChoice id={`${id}-time-field`} value={query.timeField} onChange={(timeField) => onChange({ ...query, timeField })} />
          {/* A list of events has no counts to take peaks of. */}
          {!listed && <PeakWindowField id={`${id}-peak-window`} query={query} onChange={onChange} />}
          <LimitField
            id={`${id}-limit`}
            tooltip={listed ? 'Most events listed, newest first' : 'How many top groups to show'}
            query={query}
            onChange={onChange}
          />
        </EditorFieldGroup>
      </EditorRow>
      <FiltersEditor key={key} query={query} onChange={onChange} loadValues={loadValues} />
    </>
  );
}
