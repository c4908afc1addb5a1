// Screenshot harness: renders the plugin's editors, built from source, with a stub data source, in a Grafana
// dark theme. scripts/screenshot-editor.mjs bundles this with esbuild and photographs it in headless Chromium.
// The stubs stand in for the Trailhound service; there is no Grafana server here either.
import { createTheme, dateTime, OrgRole, ThemeContext, type DataSourceSettings, type TimeRange } from '@grafana/data';
import { config, setDataSourceSrv, setTemplateSrv, type DataSourceSrv } from '@grafana/runtime';
import { GlobalStyles } from '@grafana/ui';
import { useState, type ReactElement, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import type { IngestStatus } from '../../../src/model/api';
import type { Dimension } from '../../../src/model/query';
import { ConfigEditor } from '../../../src/plugin/components/ConfigEditor';
import { QueryEditor } from '../../../src/plugin/components/QueryEditor';
import { VariableQueryEditor } from '../../../src/plugin/components/VariableQueryEditor';
import type { DataSource } from '../../../src/plugin/datasource';
import { fakeTemplateSrv } from '../../../src/plugin/testing/fakeTemplateSrv';
import type { Options, Query, SecureOptions, ValueCount, VariableQuery } from '../../../src/plugin/types';

const SAMPLE: Record<Dimension, ValueCount[]> = {
  region: [
    { value: 'us-east-1', count: 18_204 },
    { value: 'eu-west-1', count: 4_311 },
    { value: 'ap-southeast-2', count: 902 },
    { value: 'us-west-2', count: 377 },
  ],
  service: [
    { value: 'ec2', count: 9_120 },
    { value: 's3', count: 6_004 },
    { value: 'iam', count: 1_250 },
  ],
  identityType: [
    { value: 'AssumedRole', count: 15_877 },
    { value: 'IAMUser', count: 6_102 },
    { value: 'AWSService', count: 1_794 },
    { value: 'Root', count: 21 },
  ],
  eventName: [
    { value: 'ConsoleLogin', count: 312 },
    { value: 'RunInstances', count: 77 },
  ],
  user: [
    { value: 'alice', count: 5_120 },
    { value: 'deploy-role', count: 3_300 },
  ],
  sourceIp: [{ value: '203.0.113.7', count: 640 }],
  account: [{ value: '123456789012', count: 23_794 }],
  errorCode: [{ value: 'AccessDenied', count: 41 }],
};

const STATUS: IngestStatus = {
  objects: 48_211,
  events: 23_794_310,
  errors: 3,
  skipped: 12,
  newestEvent: new Date(Date.now() - 7 * 60_000).toISOString(),
  oldestEvent: new Date(Date.now() - 14 * 86_400_000).toISOString(),
  lagSeconds: 420,
  lastPoll: new Date(Date.now() - 60_000).toISOString(),
  lastPollError: null,
};

const stub = {
  values: async (dimension: Dimension, request?: { q?: string }) => SAMPLE[dimension].filter((v) => v.value.includes(request?.q ?? '')),
  ingestStatus: async () => STATUS,
  backfill: async (days: number) => ({ status: 'started', days }),
};

const range: TimeRange = { from: dateTime().subtract(1, 'day'), to: dateTime(), raw: { from: 'now-24h', to: 'now' } };

setTemplateSrv(fakeTemplateSrv({ region: ['us-east-1'], user: ['alice'] }));
setDataSourceSrv({ get: async () => stub } as unknown as DataSourceSrv);
// The settings page as an organization Admin sees it (others cannot start a backfill).
config.bootData.user.orgRole = OrgRole.Admin;

function Frame({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div style={{ padding: 16 }}>
      <h4 style={{ marginBottom: 12 }}>{title}</h4>
      {children}
    </div>
  );
}

function QueryEditorView() {
  const [query, setQuery] = useState<Query>({
    refId: 'A',
    queryType: 'events',
    format: 'timeseries',
    groupBy: 'user',
    status: 'unauthorized',
    filters: { region: ['us-east-1', '$region'], eventName: ['ConsoleLogin'] },
  });
  return (
    <Frame title="Trailhound query editor — Events">
      <QueryEditor query={query} onChange={setQuery} onRunQuery={() => {}} datasource={stub} range={range} />
    </Frame>
  );
}

function VariableEditorView() {
  const [query, setQuery] = useState<VariableQuery>({ refId: 'variable', dimension: 'user', search: 'admin' });
  return (
    <Frame title="Trailhound variable query">
      <VariableQueryEditor query={query} onChange={setQuery} onRunQuery={() => {}} datasource={stub as unknown as DataSource} />
    </Frame>
  );
}

function ConfigEditorView() {
  const [options, setOptions] = useState({
    id: 1,
    uid: 'trailhound',
    name: 'Trailhound',
    type: 'trailhound-cloudtrail-datasource',
    jsonData: { url: 'http://127.0.0.1:7480' },
    secureJsonFields: { token: true },
  } as unknown as DataSourceSettings<Options, SecureOptions>);
  return (
    <Frame title="Trailhound data source settings">
      <ConfigEditor options={options} onOptionsChange={setOptions} />
    </Frame>
  );
}

const VIEWS: Record<string, () => ReactElement> = { query: QueryEditorView, variable: VariableEditorView, config: ConfigEditorView };

const params = new URLSearchParams(window.location.search);
const View = VIEWS[params.get('view') ?? 'query'] ?? QueryEditorView;
const theme = createTheme({ colors: { mode: 'dark' } });

createRoot(document.getElementById('root')!).render(
  <ThemeContext.Provider value={theme}>
    <GlobalStyles />
    <View />
  </ThemeContext.Provider>
);

// "?open=<end of an input's id>" opens that dropdown once rendered, to show the values a filter offers. The editors'
// ids start with React's useId(), which differs from render to render: only their end is known.
const open = params.get('open');
if (open) {
  setTimeout(() => {
    const input = document.querySelector<HTMLElement>(`[id$="-${CSS.escape(open)}"]`);
    input?.focus();
    input?.click();
  }, 300);
}
