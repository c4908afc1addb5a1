// Renders a query editor the way Grafana does: it owns the query, the editor reports changes. Every change is
// kept, so a test can make several in a row; the mocks record what Grafana would have received.
import { dateTime, type CoreApp, type QueryEditorProps, type TimeRange } from '@grafana/data';
import { act, render } from '@testing-library/react';
import { useEffect, useState, type ComponentType } from 'react';
import { QueryEditor } from '../components/QueryEditor';
import type { DataSource } from '../datasource';
import type { Query } from '../types';

export const RANGE: TimeRange = { from: dateTime(1_700_000_000_000), to: dateTime(1_700_086_400_000), raw: { from: 'now-1d', to: 'now' } };

type EditorComponent = ComponentType<Pick<QueryEditorProps<DataSource, Query>, 'query' | 'datasource' | 'range' | 'onRunQuery' | 'onChange' | 'app'>>;

/** Any of the plugin's query editors (the panel's by default, or the annotation editor), where Grafana shows it (app). */
export function renderQueryEditor(datasource: DataSource, initial: Query = { refId: 'A' }, Editor: EditorComponent = QueryEditor, app?: CoreApp) {
  const onChange = jest.fn<void, [Query]>();
  const onRunQuery = jest.fn();
  let current = initial;
  let setOutside: (query: Query) => void = () => {};
  function Harness() {
    const [query, setQuery] = useState(initial);
    useEffect(() => {
      setOutside = setQuery;
    }, []);
    return (
      <Editor
        query={query}
        datasource={datasource}
        range={RANGE}
        app={app}
        onRunQuery={onRunQuery}
        onChange={(next) => {
          onChange(next);
          current = next;
          setQuery(next);
        }}
      />
    );
  }
  const utils = render(<Harness />);
  /** The query as Grafana holds it now. */
  const latest = (): Query => current;
  /** Replaces the query from outside the editor, as query history, the query inspector's JSON or undo do. */
  const replace = (query: Query) => {
    current = query;
    act(() => setOutside(query));
  };
  return { ...utils, onChange, onRunQuery, latest, replace };
}
