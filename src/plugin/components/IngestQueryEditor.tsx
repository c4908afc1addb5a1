// The Ingestion report: its status (counts, newest event, lag, last poll), or the log files it could not read.
import type { CoreApp } from '@grafana/data';
import { EditorFieldGroup, EditorRow } from '@grafana/plugin-ui';
import { useId } from 'react';
import { DEFAULT_QUERY } from '../../model/query';
import type { Query } from '../types';
import { ChoiceField, choicesFor } from './ChoiceField';
import { INGEST_VIEWS } from './labels';
import { LimitField, withChoice } from './LimitField';
import { ReportNote } from './ReportNote';

interface Props {
  query: Query;
  onChange: (query: Query) => void;
  /** Where the editor is: an alert rule gets no list of unreadable files. */
  app?: CoreApp;
}

export function IngestQueryEditor({ query, onChange, app }: Props) {
  const view = query.ingestView ?? DEFAULT_QUERY.ingestView;
  const id = useId();
  return (
    <>
      <EditorRow>
        <EditorFieldGroup>
          <ChoiceField
            id={`${id}-show`}
            label="Show"
            tooltip="The ingestion status (one row), or the log files it could not read, with why"
            options={choicesFor(INGEST_VIEWS, app, ['errors'], view)}
            value={view}
            // The status is the default: left out of the query, as a query older than the choice has it (and as a
            // service older than it takes it).
            onChange={(next) => onChange(withChoice(query, { ingestView: next === DEFAULT_QUERY.ingestView ? undefined : next }))}
          />
          {view === 'errors' && <LimitField id={`${id}-limit`} tooltip="Most unreadable files listed, newest first" query={query} onChange={onChange} />}
        </EditorFieldGroup>
      </EditorRow>
      {view === 'errors' ? (
        <ReportNote>
          The log files ingestion could not read (corrupt, not JSON, no Records, out of memory), newest first: when, the source, the key, why and, for one
          that ran out of memory, when it is tried again. Any time range: they are kept until a later run reads them.
        </ReportNote>
      ) : (
        <ReportNote>Ingestion health: log files and events stored, errors, newest event, lag and the last poll.</ReportNote>
      )}
    </>
  );
}
