// Renders a query editor the way Grafana does: it owns the query, the editor reports changes. Every change is
// kept, so a test can make several in a row; the mocks record what Grafana would have received.
import { dateTime, type QueryEditorProps, type TimeRange } from '@grafana/data';
import { render } from '@testing-library/react';
import { useState, type ComponentType } from 'react';
import { QueryEditor } from '../components/QueryEditor';
import type { DataSource } from '../datasource';
import type { Query } from '../types';

export const RANGE: TimeRange = { from: dateTime(1_700_000_000_000), to: dateTime(1_700_086_400_000), raw: { from: 'now-1d', to: 'now' } };

type EditorComponent = ComponentType<Pick<QueryEditorProps<DataSource, Query>, 'query' | 'datasource' | 'range' | 'onRunQuery' | 'onChange'>>;

/** Any of the plugin's query editors (the panel's by default, or the annotation editor). */
export function renderQueryEditor(datasource: DataSource, initial: Query = { refId: 'A' }, Editor: EditorComponent = QueryEditor) {
  const onChange = jest.fn<void, [Query]>();
  const onRunQuery = jest.fn();
  function Harness() {
    const [query, setQuery] = useState(initial);
    return (
      <Editor
        query={query}
        datasource={datasource}
        range={RANGE}
        onRunQuery={onRunQuery}
        onChange={(next) => {
          onChange(next);
          setQuery(next);
        }}
      />
    );
  }
  const utils = render(<Harness />);
  /** The query as Grafana holds it now. */
  const latest = (): Query => onChange.mock.calls.at(-1)?.[0] ?? initial;
  return { ...utils, onChange, onRunQuery, latest };
}
