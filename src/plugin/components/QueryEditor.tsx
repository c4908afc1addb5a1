// The query editor: pick a report, then that report's own small view (as grafana/github-datasource does per
// query type). Every change runs the query. In an alert rule (app), only the reports it can evaluate.
import type { QueryEditorProps } from '@grafana/data';
import { EditorField, EditorRow, EditorRows } from '@grafana/plugin-ui';
import { RadioButtonGroup } from '@grafana/ui';
import { DEFAULT_QUERY, type QueryType } from '../../model/query';
import type { DataSource } from '../datasource';
import type { Options, Query } from '../types';
import { AdHocLeftOut } from './AdHocLeftOut';
import { choicesFor } from './ChoiceField';
import { EventsQueryEditor } from './EventsQueryEditor';
import { IngestQueryEditor } from './IngestQueryEditor';
import { withChoice } from './LimitField';
import { REPORT_TYPES } from './labels';
import { LookupError } from './LookupError';
import { ReportNote } from './ReportNote';
import { TotalsQueryEditor } from './TotalsQueryEditor';
import { useValueLookup, type ValueSource } from './useValueLookup';

/** Only the lookup method is needed, so tests and the screenshot harness can pass a stub. */
type Props = Omit<QueryEditorProps<DataSource, Query, Options>, 'datasource'> & { datasource: DataSource | ValueSource };

export function QueryEditor({ query, onChange, onRunQuery, datasource, range, app }: Props) {
  // Filter suggestions follow the query's own time field: by arrival, what arrived in the range.
  const { loadValues, error } = useValueLookup(datasource, range, query.timeField);
  const change = (next: Query) => {
    onChange(next);
    onRunQuery();
  };
  const queryType = query.queryType ?? DEFAULT_QUERY.queryType;

  return (
    <EditorRows>
      <AdHocLeftOut query={query} onChange={onChange} />
      {/* Only the views with value lists: a failed lookup says nothing about the trails or the ingestion reports. */}
      {(queryType === 'events' || queryType === 'totals') && <LookupError error={error} />}
      <EditorRow>
        <EditorField label="Report type" tooltip="Which of the classic CloudTrail reports the query answers: hover a choice for what it holds">
          <RadioButtonGroup<QueryType>
            aria-label="Report type"
            options={choicesFor(REPORT_TYPES, app, ['trails'], queryType)}
            value={queryType}
            onChange={(type) => change(withChoice(query, { queryType: type }))}
          />
        </EditorField>
      </EditorRow>
      {queryType === 'events' && <EventsQueryEditor query={query} onChange={change} loadValues={loadValues} app={app} />}
      {queryType === 'totals' && <TotalsQueryEditor query={query} onChange={change} loadValues={loadValues} />}
      {queryType === 'trails' && <ReportNote>Every trail with its S3 bucket, logging status, last delivery and errors.</ReportNote>}
      {queryType === 'ingest' && <IngestQueryEditor query={query} onChange={change} app={app} />}
    </EditorRows>
  );
}
