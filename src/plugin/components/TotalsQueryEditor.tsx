// The Summary totals report: its headline numbers, what the time range applies to, then the filters. The time field
// counts here as in the Events report, so it shows here too: an Events query switched to the totals keeps it.
import { EditorFieldGroup, EditorRow } from '@grafana/plugin-ui';
import { useId } from 'react';
import type { Query } from '../types';
import { FiltersEditor } from './FiltersEditor';
import { ReportNote } from './ReportNote';
import { TimeFieldChoice } from './TimeFieldChoice';
import { useStartOver } from './useStartOver';
import type { LoadValues } from './useValueLookup';

interface Props {
  query: Query;
  onChange: (query: Query) => void;
  loadValues: LoadValues;
}

export function TotalsQueryEditor({ query, onChange: send, loadValues }: Props) {
  const id = useId();
  // A query replaced from outside starts the filters over, as in the Events report.
  const { key, change: onChange } = useStartOver(query, send);
  return (
    <>
      <ReportNote>
        Headline numbers for the time range: trails, events, successes, errors, unauthorized calls, users, IP addresses, services, regions and accounts.
      </ReportNote>
      <EditorRow>
        <EditorFieldGroup>
          <TimeFieldChoice id={`${id}-time-field`} value={query.timeField} onChange={(timeField) => onChange({ ...query, timeField })} />
        </EditorFieldGroup>
      </EditorRow>
      <FiltersEditor key={key} query={query} onChange={onChange} loadValues={loadValues} />
    </>
  );
}
