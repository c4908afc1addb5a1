// Every table's columns as Grafana shows them: the frame the service returns for the panel's query (its own frame
// builders, with no rows), each override applied where Grafana's own byName matcher puts it, named by Grafana's
// getFieldDisplayName (jsdom: @grafana/data needs a window). A table's sortBy names a column as shown (Grafana's
// table sorts by display name and silently ignores one it does not find), its overrides name columns the frame has,
// and no header is a camelCase identifier.
import { type DataFrame, fieldMatchers, getFieldDisplayName, toDataFrame } from '@grafana/data';
import { resolveQuery } from '../../src/model/query';
import { ingestErrorsFrame, ingestFrame } from '../../src/service/reports';
import { listFrame, tableFrame, trailsFrame } from '../../src/service/reports/frames';
import type { IngestStatus } from '../../src/model/api';
import { allPanels, interpolate, loadDashboards, sampleSelections, type Dashboard, type Json } from './support';

const STATUS = {
  objects: 0, events: 0, errors: 0, skipped: 0, newestEvent: null, lagSeconds: null, lastPoll: null, lastPollError: null, oldestEvent: null,
} as unknown as IngestStatus;

/** The frame the service answers a panel's target with (no rows: the columns are what matters). */
function frameOf(target: Json, dashboard: Dashboard, selection: ReturnType<typeof sampleSelections>[number]): DataFrame {
  const q = resolveQuery(interpolate(target, dashboard, selection));
  if (q.queryType === 'trails') return toDataFrame(trailsFrame([]));
  if (q.queryType === 'ingest') return toDataFrame(q.ingestView === 'errors' ? ingestErrorsFrame({ total: 0, errors: [] }) : ingestFrame(STATUS));
  return toDataFrame((q.format === 'list' ? listFrame(q) : tableFrame(q)).frames()[0]);
}

/** The columns as shown: each override's displayName set on the fields its matcher matches, in order, as Grafana does. */
function shown(frame: DataFrame, panel: Json) {
  const fields = frame.fields.map((f) => ({ ...f, config: { ...f.config }, state: undefined }));
  const out = { ...frame, fields };
  const unmatched: string[] = [];
  for (const o of panel.fieldConfig.overrides) {
    const matches = fieldMatchers.get(o.matcher.id).get(o.matcher.options);
    const hit = fields.filter((f) => matches(f, out, [out]));
    if (o.matcher.id === 'byName' && hit.length === 0) unmatched.push(o.matcher.options);
    for (const f of hit) for (const { id, value } of o.properties) if (id === 'displayName') f.config.displayName = value;
  }
  // Organize renames too (the Ingestion dashboard's delivery table).
  const renames = (panel.transformations ?? []).find((t: Json) => t.id === 'organize')?.options.renameByName ?? {};
  // Matching cached each field's name as it was; Grafana names the fields again once their config is set.
  for (const f of fields) f.state = undefined;
  return { names: fields.map((f) => renames[f.name] ?? getFieldDisplayName(f, out, [out])), unmatched };
}

const tables = loadDashboards().flatMap(({ file, dashboard }) =>
  allPanels(dashboard)
    .filter((p) => p.type === 'table')
    .map((p) => ({ where: `${file}: ${p.title}`, dashboard, panel: p }))
);

const byWhere = tables.map((t) => [t.where, t] as const);
test.each(byWhere)('%s: sorted by a column as shown; overrides name its columns; headers are words', (_w, { dashboard, panel }) => {
  const unmatchedEverywhere = new Set<string>(panel.fieldConfig.overrides.filter((o: Json) => o.matcher.id === 'byName').map((o: Json) => o.matcher.options));
  for (const selection of sampleSelections(dashboard)) {
    const { names, unmatched } = shown(frameOf(panel.targets[0], dashboard, selection), panel);
    for (const { displayName } of panel.options.sortBy ?? []) expect([displayName, names]).toEqual([displayName, expect.arrayContaining([displayName])]);
    expect(names.filter((n) => /[a-z][A-Z]/.test(n))).toEqual([]);
    for (const name of [...unmatchedEverywhere]) if (!unmatched.includes(name)) unmatchedEverywhere.delete(name);
  }
  // An override some selection's columns take (the Events totals' link for each Group by): none that no frame has.
  expect([...unmatchedEverywhere]).toEqual([]);
});

test('the Summary reads as the classic report: each dimension and its count of events, the event names with a count', () => {
  const summary = tables.filter((t) => t.where.startsWith('cloudtrail-summary.json'));
  const headers = Object.fromEntries(
    summary.map(({ dashboard, panel }) => [panel.targets[0].groupBy, shown(frameOf(panel.targets[0], dashboard, {}), panel).names])
  );
  expect(headers).toEqual({
    region: ['region', 'events'],
    service: ['service', 'events'],
    eventName: ['event name', 'count'],
    user: ['user', 'events'],
    sourceIp: ['source IP', 'events'],
    resource: ['resource', 'events'],
  });
});
