// Screenshot harness: renders the plugin's editors, built from source, with a stub data source, in a Grafana
// dark theme. scripts/screenshot-editor.mjs bundles this with esbuild and photographs it in headless Chromium.
// The stubs stand in for the Trailhound service; there is no Grafana server here either.
import { createTheme, dateTime, OrgRole, ThemeContext, type DataSourceSettings, type TimeRange } from '@grafana/data';
import { config, setDataSourceSrv, setTemplateSrv, type DataSourceSrv } from '@grafana/runtime';
import { GlobalStyles } from '@grafana/ui';
import { useState, type ReactElement, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import type { IngestErrors, IngestStatus } from '../../../src/model/api';
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
  // The AssumedRole events by role; the others have none.
  role: [
    { value: 'Deployer', count: 9_210 },
    { value: '(none)', count: 7_917 },
    { value: 'AWSReservedSSO_ReadOnly_0a1b2c3d4e5f6a7b', count: 4_102 },
    { value: 'AWSReservedSSO_AdministratorAccess_8c9d0e1f2a3b4c5d', count: 2_565 },
  ],
  permissionSet: [
    { value: '(none)', count: 17_127 },
    { value: 'ReadOnly', count: 4_102 },
    { value: 'AdministratorAccess', count: 2_565 },
  ],
  eventCategory: [
    { value: 'Data', count: 20_110 },
    { value: 'Management', count: 3_684 },
  ],
};

const STATUS: IngestStatus = {
  objects: 48_211,
  events: 23_794_310,
  errors: 7,
  skipped: 12,
  newestEvent: new Date(Date.now() - 7 * 60_000).toISOString(),
  oldestEvent: new Date(Date.now() - 14 * 86_400_000).toISOString(),
  lagSeconds: 420,
  lastPoll: new Date(Date.now() - 60_000).toISOString(),
  lastPollError: null,
};

const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
const day = (minutes: number) => ago(minutes).slice(0, 10).replace(/-/g, '/');
const cloudTrailKey = (region: string, minutes: number, id: string) =>
  `prod/AWSLogs/o-a1b2c3d4e5/123456789012/CloudTrail/${region}/${day(minutes)}/` +
    `123456789012_CloudTrail_${region}_${ago(minutes).slice(0, 16).replace(/[-:]/g, '')}Z_${id}.json.gz`;

const UNREADABLE: IngestErrors = {
  total: 7,
  errors: [
    {
      source: 's3://audit-logs/prod',
      key: cloudTrailKey('us-east-1', 15, 'Rv2nM8bX4cL6zP0q'),
      reason: "out of memory: DuckDB's memory limit (224MB) does not hold this file",
      kind: 'out-of-memory',
      failedAt: ago(12),
      // The service's wait doubles after each failure: here its fifth, 80 minutes.
      retryAt: ago(-68),
    },
    { source: 's3://audit-logs/prod', key: cloudTrailKey('eu-west-1', 35, 'Xq3PzL0aYw2TbN7c'), reason: 'incorrect header check (not gzip)', failedAt: ago(31) },
    { source: 's3://audit-logs/prod', key: cloudTrailKey('us-east-1', 180, 'Fm81kQa0cZ4vR2dE'),
      reason: 'Malformed JSON: unexpected end of input', failedAt: ago(176) },
    {
      source: 's3://audit-logs/prod',
      key: cloudTrailKey('us-east-1', 1500, 'Lp0sW9nB3xK7aQ1m'),
      reason: 'download failed: Access to s3://audit-logs was denied: ' +
        'the credentials need s3:ListBucket and s3:GetObject on it, and kms:Decrypt on the trail\'s KMS key',
      failedAt: ago(1496),
    },
    { source: 's3://audit-logs/prod', key: cloudTrailKey('ap-southeast-2', 2900, 'Tt5yU2iO8pA4sD6f'), reason: 'no Records array', failedAt: ago(2896) },
  ],
};

const stub = {
  values: async (dimension: Dimension, request?: { q?: string }) => SAMPLE[dimension].filter((v) => v.value.includes(request?.q ?? '')),
  ingestStatus: async () => STATUS,
  ingestErrors: async (limit: number) => ({ ...UNREADABLE, errors: UNREADABLE.errors.slice(0, limit) }),
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
    // As the failed-authorization alert rule leaves them out: the editor's note below the filters says so.
    exclude: { sourceIp: ['delivery.logs.amazonaws.com'], eventName: ['HeadBucket'] },
  });
  return (
    <Frame title="Trailhound query editor — Events">
      <QueryEditor query={query} onChange={setQuery} onRunQuery={() => {}} datasource={stub} range={range} />
    </Frame>
  );
}

function IngestQueryEditorView() {
  const [query, setQuery] = useState<Query>({ refId: 'A', queryType: 'ingest', ingestView: 'errors', limit: 50 });
  return (
    <Frame title="Trailhound query editor — Ingestion">
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

const VIEWS: Record<string, () => ReactElement> = {
  query: QueryEditorView, ingest: IngestQueryEditorView, variable: VariableEditorView, config: ConfigEditorView,
};

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
