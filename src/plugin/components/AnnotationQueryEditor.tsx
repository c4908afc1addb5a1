// The annotation editor: an annotation is always a list of events (annotations.ts), so this offers only what
// chooses the events, not the report type, format or grouping that the panel editor has. Time is one of them: a saved
// `timeField` applies to the annotation, so it shows, as in the Events report.
import type { QueryEditorProps } from '@grafana/data';
import { EditorFieldGroup, EditorRow, EditorRows } from '@grafana/plugin-ui';
import { useId } from 'react';
import type { DataSource } from '../datasource';
import type { Options, Query } from '../types';
import { CommonSearches } from './CommonSearches';
import { FiltersEditor } from './FiltersEditor';
import { LimitField } from './LimitField';
import { LookupError } from './LookupError';
import { ReportNote } from './ReportNote';
import { TimeFieldChoice } from './TimeFieldChoice';
import { useStartOver } from './useStartOver';
import { useValueLookup, type ValueSource } from './useValueLookup';

type Props = Omit<QueryEditorProps<DataSource, Query, Options>, 'datasource'> & { datasource: DataSource | ValueSource };

export function AnnotationQueryEditor({ query, onChange, onRunQuery, datasource, range }: Props) {
  const id = useId();
  const { loadValues, error } = useValueLookup(datasource, range, query.timeField);
  // A preset, or an annotation replaced from outside, starts the filters over (a new key): none keeps a field the query
  // no longer holds (EventsQueryEditor).
  const { key, change, startOver } = useStartOver(query, (next) => {
    onChange(next);
    onRunQuery();
  });
  return (
    <EditorRows>
      <LookupError error={error} />
      <ReportNote>Each matching event becomes a mark on time series panels: its event name, user, source IP and error.</ReportNote>
      <CommonSearches query={query} onChange={startOver} loadValues={loadValues} />
      <EditorRow>
        <EditorFieldGroup>
          <TimeFieldChoice id={`${id}-time-field`} value={query.timeField} onChange={(timeField) => change({ ...query, timeField })} />
          <LimitField id={`${id}-limit`} tooltip="Most marks, newest events first" query={query} onChange={change} />
        </EditorFieldGroup>
      </EditorRow>
      <FiltersEditor key={key} query={query} onChange={change} loadValues={loadValues} />
    </EditorRows>
  );
}
