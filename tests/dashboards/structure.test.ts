// The provisioned dashboards, data source, dashboard provider and alert rules, checked without Grafana: they
// parse, point at the Trailhound data source, use only variables they define, link to dashboards that exist, and
// every query is a valid query model once its variables are expanded.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { COMMON_SEARCHES } from '../../src/model/commonSearches';
import { NO_SOURCE_IP } from '../../src/model/fieldRules';
import {
  GROUP_BYS, resolveQuery, resolveTimeField, AGGREGATES, STATUSES, READ_ONLY, MFA, TIME_FIELDS, SERVICE_CALLS, DIMENSIONS, FILTER_KEYS,
  type GroupBy,
} from '../../src/model/query';
import { ingestErrorsFrame } from '../../src/service/reports';
import { GROUP_LABELS } from '../../src/service/reports/sql';
import {
  ALL,
  allPanels,
  DATASOURCE,
  defaultSelection,
  interpolate,
  isBuiltIn,
  loadAlertRules,
  loadDashboards,
  loadYaml,
  queryPanels,
  ROOT,
  sampleSelections,
  strings,
  variableRefs,
  type Dashboard,
  type Json,
} from './support';
import { anchor, anchorsOf, sectionAt } from '../support/markdown';

const dashboards = loadDashboards();
const byUid = new Map(dashboards.map(({ dashboard }) => [dashboard.uid, dashboard]));
const EXPECTED = {
  'trailhound-summary': 'CloudTrail Summary',
  'trailhound-trails': 'CloudTrail List of Trails',
  'trailhound-common-searches': 'CloudTrail Common Searches',
  'trailhound-events': 'CloudTrail Events',
  'trailhound-ingestion': 'CloudTrail Ingestion',
  'trailhound-alerts': 'CloudTrail Alerts',
};
const variables = (d: Dashboard) => new Map((d.templating?.list ?? []).map((v) => [v.name, v]));

test('the report dashboards and the alerts dashboard, with fixed uids, titles and tags', () => {
  expect(Object.fromEntries(dashboards.map(({ dashboard }) => [dashboard.uid, dashboard.title]))).toEqual(EXPECTED);
  for (const { dashboard } of dashboards) {
    expect(dashboard.tags).toEqual(['cloudtrail', 'trailhound']);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.schemaVersion).toBeLessThanOrEqual(41);
    expect(dashboard.id ?? null).toBeNull(); // provisioning assigns ids
  }
});

describe.each(dashboards.map(({ file, dashboard }) => [file, dashboard] as const))('%s', (_file, dashboard) => {
  test('panel ids are unique and panels sit on the 24-column grid without overlapping', () => {
    const panels = allPanels(dashboard);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Map<string, string>();
    for (const p of panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          const key = `${i},${j}`;
          expect([key, cells.get(key)]).toEqual([key, undefined]);
          cells.set(key, p.title);
        }
    }
  });

  test('every panel and target uses the Trailhound data source; every query variable too', () => {
    for (const p of allPanels(dashboard)) {
      if (p.type === 'row' || p.type === 'text') {
        expect(p.targets ?? []).toEqual([]);
        continue;
      }
      expect([p.title, p.datasource]).toEqual([p.title, DATASOURCE]);
      expect(p.targets.length).toBeGreaterThan(0);
      for (const t of p.targets) expect([p.title, t.datasource]).toEqual([p.title, DATASOURCE]);
      const refIds = p.targets.map((t: Json) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
    }
    for (const v of dashboard.templating?.list ?? []) if (v.type === 'query') expect(v.datasource).toEqual(DATASOURCE);
  });

  test('every $variable in targets, titles, descriptions and links is defined (or a Grafana built-in)', () => {
    const defined = variables(dashboard);
    const used = [...allPanels(dashboard), { links: dashboard.links }].flatMap((p) => strings(p).flatMap(variableRefs));
    const undefinedRefs = used.filter((r) => !isBuiltIn(r.name) && !defined.has(r.name));
    expect(undefinedRefs).toEqual([]);
    // Variables that nothing uses are a sign of a broken panel.
    const names = new Set(used.map((r) => r.name));
    expect([...defined.keys()].filter((n) => !names.has(n))).toEqual([]);
  });

  test('a variable that uses another comes after it in the list, so Grafana has its value first', () => {
    const list = dashboard.templating?.list ?? [];
    list.forEach((v, i) => {
      const before = new Set(list.slice(0, i).map((x) => x.name));
      const used = strings(v.query ?? '').flatMap(variableRefs).map((r) => r.name).filter((n) => !isBuiltIn(n));
      expect({ variable: v.name, notBefore: used.filter((n) => !before.has(n)) }).toEqual({ variable: v.name, notBefore: [] });
    });
  });

  test('every target is a valid query model with any sample variable values', () => {
    for (const selection of sampleSelections(dashboard)) {
      for (const p of queryPanels(dashboard)) {
        for (const t of p.targets) {
          const model = interpolate(t, dashboard, selection);
          expect(() => resolveQuery(model)).not.toThrow();
          // Nothing unexpanded reaches the backend.
          expect(strings(model).filter((s) => s.includes('$'))).toEqual([]);
        }
      }
    }
  });

  test('query variables list a dimension; multi-value ones have an "All" that sends no filter', () => {
    // Where the dashboard has a Time choice ($timeField, Events), its lists follow it: by arrival, what arrived.
    const time = variables(dashboard).has('timeField') ? { timeField: '$timeField' } : {};
    for (const v of dashboard.templating?.list ?? []) {
      if (v.type !== 'query') continue;
      expect(v.query).toEqual({ refId: expect.any(String), dimension: expect.any(String), search: '', ...time });
      expect(DIMENSIONS).toContain(v.query.dimension);
      for (const selection of sampleSelections(dashboard)) {
        const { timeField } = interpolate({ timeField: v.query.timeField }, dashboard, selection);
        expect(() => resolveTimeField(timeField)).not.toThrow();
      }
      expect(v.refresh).toBe(2); // on time range change
      if (v.includeAll) {
        // A blank allValue: the frontend drops blank values, so "All" filters nothing (not only the listed values).
        expect(v.allValue).toBe(' ');
        expect(v.current).toEqual({ selected: true, text: ['All'], value: [ALL] });
      }
    }
  });

  test('custom variables offer only values the query model accepts', () => {
    const allowed: Record<string, readonly string[]> = {
      groupBy: GROUP_BYS, aggregate: AGGREGATES, status: STATUSES, readOnly: READ_ONLY, mfa: MFA, timeField: TIME_FIELDS, serviceCalls: SERVICE_CALLS,
    };
    for (const v of dashboard.templating?.list ?? []) {
      if (v.type !== 'custom') continue;
      const values = v.options!.map((o) => o.value);
      expect(values.every((x) => allowed[v.name]?.includes(x))).toBe(true);
      // The query string Grafana re-reads says the same as the saved options.
      expect(v.query.split(',').map((s: string) => s.split(' : ')[1].trim())).toEqual(values);
      expect(values).toContain(v.current!.value);
    }
  });

  test('links into the data source go to resources its backend serves', () => {
    const urls = allPanels(dashboard).flatMap((p) => strings(p.fieldConfig ?? {}).filter((s) => s.startsWith('/api/')));
    for (const url of urls) expect(url).toBe('/api/datasources/uid/trailhound/resources/events/${__value.raw:percentencode}');
    if (dashboard.uid === 'trailhound-events') expect(urls).toHaveLength(1);
  });

  test('a chart with nothing to show says what that means, not Grafana\'s "No data"', () => {
    // A query that matches nothing answers no series, and Grafana's panel then shows fieldConfig.defaults.noValue, or
    // "No data" (PanelDataErrorView's getMessageFor): on the Alerts dashboard the usual state of a quiet rule, which
    // "No data" makes look broken.
    for (const p of allPanels(dashboard).filter((x) => x.type === 'timeseries')) {
      expect([p.title, p.fieldConfig.defaults.noValue]).toEqual([p.title, expect.stringMatching(/^No(ne)? .+ in the time range\b/)]);
      if (dashboard.uid === 'trailhound-alerts') expect(p.fieldConfig.defaults.noValue).toBe("None of this rule's events arrived in the time range");
    }
  });

  test('a link percent-encodes every value it takes from the data', () => {
    // Event fields are whatever the log files say: a raw "../" or "?" in one would make the link open another page.
    const urls = allPanels(dashboard).flatMap((p) => [...strings(p.links ?? []), ...strings(p.fieldConfig ?? {})]).filter((s) => /^\/(d|api)\//.test(s));
    const fromData = urls.flatMap((url) => [...url.matchAll(/\$\{(__value|__data|__series|__field)[^}]*\}/g)].map((m) => [url, m[0]]));
    for (const [url, ref] of fromData) expect([url, ref]).toEqual([url, expect.stringMatching(/:percentencode\}$/)]);
  });

  test('links go to dashboards that exist, set only their variables and keep the time range', () => {
    expect(dashboard.links).toEqual([expect.objectContaining({ type: 'dashboards', tags: ['trailhound'], keepTime: true })]);
    const urls = allPanels(dashboard).flatMap((p) => [
      ...(p.links ?? []).map((l: Json) => l.url),
      ...strings(p.fieldConfig ?? {}).filter((s) => s.startsWith('/d/')),
    ]);
    for (const url of urls) {
      const m = /^\/d\/([\w-]+)\/[\w-]+\?(.*)$/.exec(url);
      expect([url, m !== null]).toEqual([url, true]);
      const target = byUid.get(m![1]);
      expect([url, target?.uid]).toEqual([url, m![1]]);
      const params = m![2].split('&');
      expect(params[0]).toBe('${__url_time_range}');
      const targetVars = variables(target!);
      for (const p of params.slice(1)) {
        const queryparam = /^\$\{(\w+):queryparam\}$/.exec(p);
        // ${x:queryparam} writes var-x=…: the target must have a variable of the same name.
        const name = queryparam ? queryparam[1] : /^var-(\w+)=/.exec(p)?.[1];
        expect([url, p, name && targetVars.has(name)]).toEqual([url, p, true]);
      }
    }
  });
});

// An events list's source IP cell is '' for an event without an address (an Insight event), which the service's filter
// takes as the group "(none)" (a '' filter value is dropped: every event): the cell shows that name, the link sends it.
test('every source IP link of an events list sends the cell as shown, "(none)" for an event without an address', () => {
  const columns = dashboards.flatMap(({ file, dashboard }) =>
    allPanels(dashboard)
      .filter((p) => (p.targets ?? []).some((t: Json) => t.format === 'list'))
      .flatMap((p) => (p.fieldConfig?.overrides ?? []).map((o: Json) => ({ where: `${file}: ${p.title}`, override: o })))
      .filter(({ override }) => strings(override).some((s) => s.includes('var-sourceIp=')))
  );
  expect(columns.map((c) => c.where)).toContain('cloudtrail-events.json: Events');
  expect(columns.filter((c) => c.where.startsWith('cloudtrail-alerts.json')).length).toBeGreaterThan(1);
  for (const { where, override } of columns) {
    const property = (id: string) => override.properties.find((x: Json) => x.id === id)?.value;
    expect([where, override.matcher]).toEqual([where, { id: 'byName', options: 'source IP' }]);
    const empty = { type: 'special', options: { match: 'empty', result: expect.objectContaining({ text: NO_SOURCE_IP }) } };
    expect([where, property('mappings')]).toEqual([where, expect.arrayContaining([empty])]);
    const sendsText = expect.stringMatching(/&var-sourceIp=\$\{__value\.text:percentencode\}(&|$)/);
    for (const link of property('links')) expect([where, link.title, link.url]).toEqual([where, 'Only ${__value.text}', sendsText]);
  }
});

describe('CloudTrail Summary', () => {
  const d = byUid.get('trailhound-summary')!;
  test('headline numbers come from the totals query', () => {
    const stats = queryPanels(d).filter((p) => p.type === 'stat');
    const fields = stats.map((p) => /^\/\^(.+)\$\/$/.exec(p.options.reduceOptions.fields)![1]);
    expect(fields).toEqual(['trails', 'events', 'success', 'errors', 'unauthorized', 'users', 'ips', 'services', 'regions', 'accounts']);
    for (const p of stats) expect(p.targets[0]).toMatchObject({ queryType: 'totals' });
  });
  test('each headline number opens the report that lists what it counts, in the same range', () => {
    // A click on the number: the stat's data link (fieldConfig), as the tables' cells link, not a header icon.
    const events = '/d/trailhound-events/cloudtrail-events?${__url_time_range}';
    const expected: Record<string, string> = {
      trails: '/d/trailhound-trails/cloudtrail-list-of-trails?${__url_time_range}',
      events,
      success: `${events}&var-status=success`,
      errors: `${events}&var-status=error&var-groupBy=errorCode`,
      unauthorized: `${events}&var-status=unauthorized&var-groupBy=user`,
      users: `${events}&var-groupBy=user`,
      ips: `${events}&var-groupBy=sourceIp`,
      services: `${events}&var-groupBy=service`,
      regions: `${events}&var-groupBy=region`,
      accounts: `${events}&var-groupBy=account`,
    };
    const stats = queryPanels(d).filter((p) => p.type === 'stat');
    const links = stats.map((p) => [/^\/\^(.+)\$\/$/.exec(p.options.reduceOptions.fields)![1], p.fieldConfig.defaults.links?.map((l: Json) => l.url)]);
    expect(Object.fromEntries(links)).toEqual(Object.fromEntries(Object.entries(expected).map(([field, url]) => [field, [url]])));
    // Each status is one the Events report offers, counted as the number counts it (success: no error).
    const statuses = (variables(byUid.get('trailhound-events')!).get('status')!.options ?? []).map((o: Json) => o.value);
    for (const url of Object.values(expected)) for (const [, status] of url.matchAll(/var-status=(\w+)/g)) expect(statuses).toContain(status);
  });
  test('the IP addresses number counts addresses only, and says that the events by source IP it opens list AWS services too', () => {
    // The count takes source_is_ip; Events grouped by sourceIp has every sourceIPAddress as CloudTrail wrote it, and
    // the query model has no filter to keep addresses only: the number and its link say what each holds.
    const ips = queryPanels(d).find((p) => p.type === 'stat' && p.options.reduceOptions.fields === '/^ips$/')!;
    const [link] = ips.fieldConfig.defaults.links;
    expect(link.url).toMatch(/&var-groupBy=sourceIp$/);
    expect(ips.description).toMatch(/^Distinct source IP addresses\. Service names .*\(ec2\.amazonaws\.com, AWS Internal\) are not counted; .* list them too/);
    expect(link.title).toBe('The events by source IP, in CloudTrail Events (AWS services calling for you listed too)');
  });
  test('per region, service, event name, user, IP and resource: a table, a bar chart and a timeseries', () => {
    for (const groupBy of ['region', 'service', 'eventName', 'user', 'sourceIp', 'resource']) {
      const panels = queryPanels(d).filter((p) => p.targets[0].groupBy === groupBy);
      const kinds = panels.map((p) => `${p.type}/${p.targets[0].format}`).sort();
      expect([groupBy, kinds]).toEqual([groupBy, ['barchart/table', 'table/table', 'timeseries/timeseries']]);
      expect(panels.find((p) => p.type === 'barchart')!.options.xField).toBe(groupBy);
    }
  });
  test("as the classic report: every event counts (no status, read-only or other filter), a table's busiest first", () => {
    for (const p of queryPanels(d).filter((x) => x.targets[0].queryType === 'events')) {
      const q = resolveQuery(p.targets[0]);
      expect([p.title, q.status, q.readOnly, q.mfa, q.serviceCalls, q.resourceId, q.filters]).toEqual([p.title, 'all', 'all', 'all', 'include', '', {}]);
      // The count's column as shown: "count" beside event names, as the classic report heads it (headers.jsdom.test.ts).
      const count = p.targets[0].groupBy === 'eventName' ? 'count' : 'events';
      if (p.type === 'table') expect([p.title, p.options.sortBy]).toEqual([p.title, [{ displayName: count, desc: true }]]);
    }
  });
  test('a table of the busiest 20 has no sum under it: the rows shown are not all the events, which Total events counts', () => {
    const tables = queryPanels(d).filter((p) => p.type === 'table' && p.targets[0].queryType === 'events');
    expect(tables.map((p) => p.targets[0].limit)).toEqual(tables.map(() => 20));
    for (const p of tables) expect([p.title, strings(p.fieldConfig).filter((s) => s === 'custom.footer.reducers')]).toEqual([p.title, []]);
  });
});

describe('CloudTrail Events', () => {
  const d = byUid.get('trailhound-events')!;
  test('last two weeks, grouped by user by default', () => {
    expect(d.time).toEqual({ from: 'now-14d', to: 'now' });
    expect(defaultSelection(d)).toMatchObject({
      groupBy: 'user', aggregate: 'auto', status: 'all', readOnly: 'all', mfa: 'all', timeField: 'event', serviceCalls: 'include', resourceId: '',
    });
  });
  test('a chart per group over time, the totals per group, and the events themselves — all with the same selection', () => {
    const [chart, totals, list] = queryPanels(d);
    expect([chart.type, chart.targets[0].format]).toEqual(['timeseries', 'timeseries']);
    expect([totals.type, totals.targets[0].format]).toEqual(['table', 'table']);
    expect([list.type, list.targets[0].format]).toEqual(['table', 'list']);
    expect(totals.gridPos.y).toBeGreaterThanOrEqual(chart.gridPos.y + chart.gridPos.h);
    const selection = (t: Json) => ({ ...t, format: undefined, limit: undefined });
    expect(selection(totals.targets[0])).toEqual(selection(chart.targets[0]));
    expect(selection(list.targets[0])).toEqual(selection(chart.targets[0]));
    expect(chart.targets[0]).toMatchObject({
      groupBy: '$groupBy',
      aggregate: '$aggregate',
      status: '$status',
      readOnly: '$readOnly',
      mfa: '$mfa',
      timeField: '$timeField',
      serviceCalls: '$serviceCalls',
      resourceId: '$resourceId',
      filters: {
        region: ['$region'], service: ['$service'], eventName: ['$eventName'], user: ['$user'], sourceIp: ['$sourceIp'], account: ['$account'],
        errorCode: ['$errorCode'], identityType: ['$identityType'], role: ['$role'], permissionSet: ['$permissionSet'],
        eventCategory: ['$eventCategory'],
      },
    });
  });
  test('a filter variable for each filter of the query model, in its order: multi-value, "All" sends none, listed by the Time choice', () => {
    const filters = d.templating.list.filter((v) => v.type === 'query');
    expect(filters.map((v) => v.name)).toEqual([...FILTER_KEYS]);
    for (const v of filters) expect(v).toMatchObject({ multi: true, includeAll: true, allValue: ' ', query: { dimension: v.name, timeField: '$timeField' } });
    expect(variables(d).get('identityType')).toMatchObject({ label: 'Identity type' });
    expect(variables(d).get('role')).toMatchObject({ label: 'Role' });
    expect(variables(d).get('permissionSet')).toMatchObject({ label: 'Permission set' });
    expect(variables(d).get('eventCategory')).toMatchObject({ label: 'Event category' });
  });
  test('each row of the totals opens the events of its group, keeping every other choice', () => {
    const [, totals] = queryPanels(d);
    const vars = variables(d);
    const groupBy = (vars.get('groupBy')!.options ?? []).map((o: Json) => o.value as Exclude<GroupBy, 'none'>);
    expect(groupBy.length).toBeGreaterThan(5);
    // A group's columns are its labels: user and account side by side for the pair, each a link of its own.
    const columns = groupBy.map((group) => [group, GROUP_LABELS[group]] as const);
    expect(columns.some(([, names]) => names.length > 1)).toBe(true);
    for (const [group, names] of columns) {
      for (const column of names) {
        const override = totals.fieldConfig.overrides.find((o: Json) => o.matcher.id === 'byName' && o.matcher.options === column);
        const link = override?.properties.find((p: Json) => p.id === 'links')?.value[0];
        expect([group, column, link?.url])
          .toEqual([group, column, expect.stringMatching(/^\/d\/trailhound-events\/cloudtrail-events\?\$\{__url_time_range\}&/)]);
        const params: string[] = link.url.split('?')[1].split('&');
        // The clicked value becomes its column's variable's only value (a resource goes to the Resource ID box) …
        const own = column === 'resource' ? 'resourceId' : column;
        expect(params).toContain(`var-${own}=\${__value.raw:percentencode}`);
        // … read from its own cell only: ${__data.fields.x} of a column the grouping lacks is '' (docs/DESIGN.md, "Drill-down by user and account").
        expect([group, column, link.url.includes('${__data.')]).toEqual([group, column, false]);
        // … and every other variable keeps its value, the group's other column's too.
        for (const name of [...vars.keys()].filter((n) => n !== own)) {
          const kept = params.some((p) => p === `var-${name}=\${${name}}` || p === `\${${name}:queryparam}`);
          expect([group, column, name, kept]).toEqual([group, column, name, true]);
        }
      }
    }
  });

  test("the events list's \"Only …\" links keep the Time choice, as they keep the range", () => {
    const [, , list] = queryPanels(d);
    const links = list.fieldConfig.overrides.flatMap((o: Json) => o.properties.filter((p: Json) => p.id === 'links').flatMap((p: Json) => p.value));
    const internal = links.filter((l: Json) => l.url.startsWith('/d/'));
    // The source IP's and the role's links take the cell as shown: an event of no address or no role shows its group's name, "(none)".
    expect(internal.map((l: Json) => l.title)).toEqual(['Only ${__value.raw}', 'Only ${__value.text}', 'Only ${__value.text}']);
    for (const l of internal) expect(l.url).toContain('&${timeField:queryparam}');
  });

  test('both times of the events list (time, and by arrival time arrived) are shown alike, by their type', () => {
    const [, , list] = queryPanels(d);
    expect(list.fieldConfig.overrides).toContainEqual({
      matcher: { id: 'byType', options: 'time' }, properties: expect.arrayContaining([{ id: 'unit', value: 'dateTimeAsIso' }]),
    });
  });

  test('"All" everywhere sends no filter; picked values are sent as a list', () => {
    const target = queryPanels(d)[0].targets[0];
    const none = {
      region: [], service: [], eventName: [], user: [], sourceIp: [], account: [], errorCode: [], identityType: [], role: [], permissionSet: [],
      eventCategory: [],
    };
    expect(interpolate(target, d, defaultSelection(d)).filters).toEqual(none);
    expect(resolveQuery(interpolate(target, d, defaultSelection(d))).filters).toEqual({});
    expect(resolveQuery(interpolate(target, d, { ...defaultSelection(d), user: ['alice', 'bob'], resourceId: 'i-0abc' }))).toMatchObject({
      filters: { user: ['alice', 'bob'] },
      resourceId: 'i-0abc',
    });
  });
});

describe('CloudTrail Common Searches', () => {
  const d = byUid.get('trailhound-common-searches')!;
  const inputs = { instanceId: '$instance_id', users: ['$user'], ips: ['$sourceIp'] };
  test.each(COMMON_SEARCHES.map((s) => [s.label, s] as const))('%s: panels built from the preset, linking to the Events report', (_label, search) => {
    const panels = queryPanels(d).filter((p) => p.title.startsWith(search.label));
    expect(panels.map((p) => p.type).sort()).toEqual(['table', 'timeseries']);
    const preset = search.query(inputs);
    for (const p of panels) {
      expect(p.targets[0]).toMatchObject(preset);
      expect(p.links).toEqual([expect.objectContaining({ url: expect.stringMatching(/^\/d\/trailhound-events\/cloudtrail-events\?\$\{__url_time_range\}&/) })]);
      // The link carries the same search into the Events report.
      const url: string = p.links[0].url;
      expect(url).toContain(`var-groupBy=${preset.groupBy}`);
      if (preset.status) expect(url).toContain(`var-status=${preset.status}`);
      for (const name of preset.filters?.eventName ?? []) expect(url).toContain(`var-eventName=${name}`);
      for (const code of preset.filters?.errorCode ?? []) {
        expect(url).toContain(`var-errorCode=${encodeURIComponent(code).replace(/[()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`);
      }
      if (search.input === 'instanceId') expect(url).toContain('var-resourceId=${instance_id:percentencode}');
      if (search.input === 'users') expect(url).toContain('${user:queryparam}');
      if (search.input === 'ips') expect(url).toContain('${sourceIp:queryparam}');
    }
  });
  test('inputs: an instance id textbox, multi-select users and IP addresses', () => {
    const vars = variables(d);
    expect(vars.get('instance_id')).toMatchObject({ type: 'textbox' });
    expect(vars.get('user')).toMatchObject({ type: 'query', multi: true, query: { dimension: 'user' } });
    expect(vars.get('sourceIp')).toMatchObject({ type: 'query', multi: true, query: { dimension: 'sourceIp' } });
  });
});

describe('CloudTrail Alerts', () => {
  const d = byUid.get('trailhound-alerts')!;
  const security = loadAlertRules().filter(({ rule }) => rule.uid !== 'trailhound-no-events');
  // The rule's query as a panel sends it: Grafana gives the panel its own interval and data points.
  const asPanelTarget = ({ intervalMs: _i, maxDataPoints: _m, ...model }: Json) => model;
  /** The query of the Events chart that a link sets up: its variables' defaults, then the link's var-… values. */
  const openedInEvents = (url: string) => {
    const events = byUid.get('trailhound-events')!;
    const vars = variables(events);
    const selection = defaultSelection(events);
    for (const [key, value] of new URLSearchParams(url.split('?')[1])) {
      const name = key.replace(/^var-/, '');
      if (!vars.has(name)) continue; // ${__url_time_range}
      // A custom variable keeps only a value it offers (Grafana selects its default instead): the Events dashboard must
      // offer every choice a rule's query makes, such as its groupBy.
      if (vars.get(name)!.type === 'custom' && !vars.get(name)!.options!.some((o) => o.value === value)) continue;
      // A multi-value variable named more than once takes every value (Grafana reads var-x=a&var-x=b so).
      const before = selection[name];
      selection[name] = vars.get(name)!.multi ? [...(Array.isArray(before) && !before.includes(ALL) ? before : []), value] : value;
    }
    return interpolate(queryPanels(events)[0].targets[0], events, selection);
  };
  test.each(security.map(({ rule }) => [rule.title, rule] as const))('%s: its panel runs the rule\'s query, beside the list of its events', (_title, rule) => {
    const panels = allPanels(d);
    const chart = panels.find((p) => String(p.id) === rule.annotations.__panelId__)!;
    expect([chart.type, chart.title]).toEqual(['timeseries', rule.title]);
    expect(chart.targets).toEqual([asPanelTarget(rule.data[0].model)]);
    // At least the rule's 5-minute buckets, whatever the panel's width.
    expect([chart.interval, rule.data[0].model.intervalMs]).toEqual(['5m', 300_000]);
    // Its description tells the rule's threshold.
    const [threshold] = rule.data[2].model.conditions[0].evaluator.params;
    const { peakWindow } = resolveQuery(rule.data[0].model);
    expect(chart.description).toMatch(
      peakWindow ? new RegExp(`more than ${threshold} events of one .* within ${peakWindow} minutes of each other`)
      : threshold > 0 ? `more than ${threshold} arrived`
      : 'on any that arrived'
    );
    // Its legend shows what the rule's reducer takes.
    expect(chart.options.legend.calcs).toEqual([rule.data[1].model.reducer]);
    // The events themselves, on the right of the chart: the same selection as a list.
    const list = panels.find((p) => p.gridPos.y === chart.gridPos.y && p.gridPos.x === chart.gridPos.x + chart.gridPos.w)!;
    expect([list.type, list.title]).toEqual(['table', `${rule.title}: the events`]);
    // The latest events, as many as the list shows: the rule's own limit is how many groups (alert instances) it keeps.
    expect(list.targets).toEqual([{ ...asPanelTarget(rule.data[0].model), format: 'list', limit: 100 }]);
    expect(list.description).toContain('(up to 100)');
    // Both open the same events in CloudTrail Events: its selection, set by the link, is the rule's query (by arrival).
    for (const p of [chart, list]) {
      expect(p.links).toEqual([expect.objectContaining({ url: expect.any(String) })]);
      const counted = resolveQuery(rule.data[0].model);
      // Events has no selector for the peak window, and its list ignores it: the same events, listed. Nor has it one
      // that leaves values out: it shows those too, and the link's title says so.
      expect({ ...resolveQuery(openedInEvents(p.links[0].url)), limit: counted.limit, peakWindow: counted.peakWindow }).toEqual({ ...counted, exclude: {} });
      const excluded = Object.values(counted.exclude).flat();
      for (const value of excluded) expect(p.links[0].title).toContain(value);
      if (excluded.length === 0) expect(p.links[0].title).toBe('Open in CloudTrail Events (by arrival time)');
    }
  });
  test('is what scripts/alerts-dashboard.mjs writes from the rules', () => {
    expect(() => execFileSync(process.execPath, [path.join(ROOT, 'scripts/alerts-dashboard.mjs'), '--check'], { stdio: 'pipe' })).not.toThrow();
  });
  test('no panel without its rule: one row per security rule, under an explanation, and a last one for the ingestion rule', () => {
    const rows = allPanels(d).filter((p) => p.type === 'row');
    expect(rows.map((r) => r.title)).toEqual([...security.map(({ rule }) => rule.title), 'No CloudTrail events arriving']);
    expect(queryPanels(d)).toHaveLength(2 * security.length);
    expect(allPanels(d)[0]).toMatchObject({ type: 'text', gridPos: { x: 0, y: 0, w: 24 } });
    // The explanation, then a runbook per rule.
    expect(allPanels(d).filter((p) => p.type === 'text')).toHaveLength(1 + loadAlertRules().length);
  });
  test('the explanation says what each rule that counts peaks counts: its group (a pair in words) and its window', () => {
    const text: string = allPanels(d)[0].options.content;
    const peaks = security.filter(({ rule }) => resolveQuery(rule.data[0].model).peakWindow > 0);
    expect(peaks.length).toBeGreaterThan(0);
    for (const { rule } of peaks) {
      const { groupBy, peakWindow } = resolveQuery(rule.data[0].model);
      // userAndAccount: "one user in one account"; a single label: "one user".
      const group = groupBy === 'none' ? 'group' : GROUP_LABELS[groupBy].join(' in one ');
      expect([rule.title, text]).toEqual([rule.title, expect.stringContaining(`"${rule.title}"`)]);
      const wording = `the most events of one ${group} made within ${peakWindow} minutes of each other`;
      expect([rule.title, text]).toEqual([rule.title, expect.stringContaining(wording)]);
    }
  });
});

describe('CloudTrail Ingestion', () => {
  const d = byUid.get('trailhound-ingestion')!;
  const panels = queryPanels(d);
  const stat = panels.find((p) => p.type === 'stat' && p.title === 'Unreadable files')!;
  const list = panels.find((p) => p.type === 'table' && p.title === 'Unreadable files')!;
  test('the Unreadable files stat counts them; a table lists them, newest first, up to 100', () => {
    expect(resolveQuery(stat.targets[0])).toMatchObject({ queryType: 'ingest', ingestView: 'status' });
    expect(list.targets).toHaveLength(1);
    expect(resolveQuery(list.targets[0])).toMatchObject({ queryType: 'ingest', ingestView: 'errors', limit: 100 });
    expect(stat.description).toMatch(/the Unreadable files table below/);
  });
  test("the list's overrides name the frame's own columns, and its times are shown as dates", () => {
    const columns = ingestErrorsFrame({ total: 0, errors: [] }).fields.map((f) => f.name);
    expect(columns).toEqual(['time', 'source', 'key', 'reason', 'retry after']);
    const named = list.fieldConfig.overrides.map((o: Json) => o.matcher.options);
    expect(named.filter((n: string) => !columns.includes(n))).toEqual([]);
    const time = list.fieldConfig.overrides.find((o: Json) => o.matcher.options === 'time').properties;
    expect(time).toContainEqual({ id: 'unit', value: 'dateTimeAsIso' });
  });
  test('when a file that ran out of memory, or whose download S3 denied, is tried again: a date under a header that says so, explained, ' +
    'empty for the other files', () => {
    const retry = list.fieldConfig.overrides.find((o: Json) => o.matcher.options === 'retry after').properties;
    expect(retry).toContainEqual({ id: 'displayName', value: 'next try after' });
    expect(retry).toContainEqual({ id: 'unit', value: 'dateTimeAsIso' });
    // Not the panel's "No unreadable files", which a cell without a value would show otherwise (mappings.jsdom.test.ts).
    expect(list.fieldConfig.defaults.noValue).toBe('No unreadable files');
    expect(retry).toContainEqual({ id: 'noValue', value: '' });
    const explained = retry.find((p: Json) => p.id === 'description').value;
    expect(explained).toMatch(/ran out of DuckDB's memory, or whose download S3 denied, .* Empty for the other files/);
    expect(list.description).toMatch(/for a file that ran out of memory or whose download S3 denied, when it is tried again/);
  });
  test('full width under the status table, the panels below it moved down without a gap', () => {
    const status = panels.find((p) => p.title === 'Ingestion status')!;
    expect(list.gridPos).toMatchObject({ x: 0, w: 24, y: status.gridPos.y + status.gridPos.h });
    // Every panel starts at the top or right under another: none floats with a gap above it.
    const bottoms = new Set(allPanels(d).map((p) => p.gridPos.y + p.gridPos.h));
    for (const p of allPanels(d)) expect([p.title, p.gridPos.y === 0 || bottoms.has(p.gridPos.y)]).toEqual([p.title, true]);
  });
});

describe('CloudTrail List of Trails', () => {
  const d = byUid.get('trailhound-trails')!;
  const table = queryPanels(d).find((p) => p.type === 'table')!;
  const override = (name: string) => table.fieldConfig.overrides.find((o: Json) => o.matcher.options === name)?.properties ?? [];
  test('every column of the List of Trails has a description', () => {
    const described = table.fieldConfig.overrides
      .filter((o: Json) => o.properties.some((p: Json) => p.id === 'description'))
      .map((o: Json) => o.matcher.options);
    expect(described).toEqual([
      'name', 'S3 bucket', 'S3 key prefix', 'is logging', 'include global service events', 'multi-region', 'organization trail', 'home region',
      'logging started', 'logging ended', 'last delivery', 'last delivery error', 'last notification', 'last notification error', 'SNS topic', 'ARN',
    ]);
  });
  test('a trail not logging is red; a delivery or notification error is red', () => {
    const logging = override('is logging').find((p: Json) => p.id === 'mappings').value[0];
    expect(logging.options.false).toMatchObject({ color: 'red' });
    expect(override('is logging')).toContainEqual({ id: 'custom.cellOptions', value: expect.objectContaining({ type: 'color-background' }) });
    for (const name of ['last delivery error', 'last notification error']) {
      const mappings = override(name).find((p: Json) => p.id === 'mappings').value;
      expect(mappings).toContainEqual({ type: 'regex', options: { pattern: '.+', result: expect.objectContaining({ color: 'red' }) } });
    }
  });
});

describe('provisioning', () => {
  test('the data source: uid trailhound, the service on the compose network, the token from the environment', () => {
    const file = loadYaml('datasources/trailhound.yaml');
    expect(file.apiVersion).toBe(1);
    expect(file.datasources).toEqual([
      expect.objectContaining({
        type: 'trailhound-cloudtrail-datasource', uid: 'trailhound', isDefault: false,
        jsonData: expect.objectContaining({ url: 'http://trailhound:7480' }), secureJsonData: { token: '$TRAILHOUND_TOKEN' },
      }),
    ]);
  });
  test('the dashboard provider reads the folder docker-compose.yml mounts, into the CloudTrail folder', () => {
    const file = loadYaml('dashboards/trailhound.yaml');
    expect(file.providers).toEqual([
      expect.objectContaining({ type: 'file', folder: 'CloudTrail', options: expect.objectContaining({ path: '/var/lib/grafana/dashboards/trailhound' }) }),
    ]);
  });
});

// The keys Grafana's file provisioning reads (the yaml tags of its v1 structs: pkg/services/provisioning/datasources/types.go,
// dashboards/types.go, alerting/rules_types.go). Go's YAML decoder ignores any other key, so a misspelt one
// (noDataStat, isPasued) would be dropped without a word and the rule run with Grafana's default.
const GRAFANA_KEYS = {
  datasourcesFile: ['apiVersion', 'datasources', 'deleteDatasources', 'prune'],
  datasource: [
    'orgId', 'orgName', 'version', 'name', 'type', 'access', 'url', 'user', 'database', 'basicAuth', 'basicAuthUser', 'withCredentials',
    'isDefault', 'correlations', 'jsonData', 'secureJsonData', 'editable', 'uid',
  ],
  providersFile: ['apiVersion', 'providers'],
  provider: ['name', 'type', 'orgId', 'folder', 'folderUid', 'editable', 'options', 'disableDeletion', 'updateIntervalSeconds', 'allowUiUpdates'],
  providerOptions: ['path', 'foldersFromFilesStructure'],
  rulesFile: [
    'apiVersion', 'groups', 'deleteRules', 'contactPoints', 'deleteContactPoints', 'policies', 'resetPolicies', 'templates', 'deleteTemplates',
    'muteTimes', 'deleteMuteTimes',
  ],
  group: ['orgId', 'name', 'folder', 'interval', 'rules'],
  rule: [
    'uid', 'title', 'condition', 'data', 'dashboardUid', 'panelId', 'noDataState', 'execErrState', 'for', 'keepFiringFor',
    'missing_series_evals_to_resolve', 'annotations', 'labels', 'isPaused', 'notification_settings', 'record',
  ],
  query: ['refId', 'queryType', 'relativeTimeRange', 'datasourceUid', 'model'],
};
const unknownKeys = (where: string, value: Json, known: string[]) => Object.keys(value).filter((k) => !known.includes(k)).map((k) => `${where}.${k}`);

test('the provisioning files use only keys Grafana reads, and states it knows', () => {
  const datasources = loadYaml('datasources/trailhound.yaml');
  const providers = loadYaml('dashboards/trailhound.yaml');
  const rulesFile = loadYaml('alerting/trailhound-rules.yaml');
  const unknown = [
    ...unknownKeys('datasources', datasources, GRAFANA_KEYS.datasourcesFile),
    ...datasources.datasources.flatMap((d: Json) => unknownKeys(`datasource ${d.name}`, d, GRAFANA_KEYS.datasource)),
    ...unknownKeys('providers', providers, GRAFANA_KEYS.providersFile),
    ...providers.providers.flatMap((p: Json) => [
      ...unknownKeys(`provider ${p.name}`, p, GRAFANA_KEYS.provider),
      ...unknownKeys(`provider ${p.name}.options`, p.options, GRAFANA_KEYS.providerOptions),
    ]),
    ...unknownKeys('rules', rulesFile, GRAFANA_KEYS.rulesFile),
    ...rulesFile.groups.flatMap((g: Json) => [
      ...unknownKeys(`group ${g.name}`, g, GRAFANA_KEYS.group),
      ...g.rules.flatMap((r: Json) => [
        ...unknownKeys(`rule ${r.uid}`, r, GRAFANA_KEYS.rule),
        ...r.data.flatMap((q: Json) => [
          ...unknownKeys(`rule ${r.uid} ${q.refId}`, q, GRAFANA_KEYS.query),
          ...unknownKeys(`rule ${r.uid} ${q.refId}.relativeTimeRange`, q.relativeTimeRange ?? {}, ['from', 'to']),
        ]),
      ]),
    ]),
  ];
  expect(unknown).toEqual([]);
  for (const { rule } of loadAlertRules()) {
    // pkg/services/ngalert/models: NoDataStateFromString, ErrStateFromString (an unknown one fails the whole file).
    expect([rule.uid, rule.noDataState, rule.execErrState]).toEqual([
      rule.uid, expect.stringMatching(/^(NoData|Alerting|OK|KeepLast)$/), expect.stringMatching(/^(Alerting|Error|OK|KeepLast)$/),
    ]);
    // Grafana's uid rule for alert rules: at most 40 letters, digits, - and _.
    expect(rule.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
  }
});

describe('alert rules', () => {
  const rules = loadAlertRules();
  test('sixteen rules in the CloudTrail folder, evaluated every minute', () => {
    expect(rules.map(({ rule }) => rule.title)).toEqual([
      'Failed authorization attempts per user and account',
      'Root account activity',
      'CloudTrail configuration changes',
      'Failed console logins',
      'Console logins without MFA',
      'No CloudTrail events arriving',
      'IAM policy changes',
      'KMS keys disabled or scheduled for deletion',
      'S3 bucket policy changes',
      'AWS Config changes',
      'Security group changes',
      'Network ACL changes',
      'Network gateway changes',
      'Route table changes',
      'VPC changes',
      'AWS Organizations changes',
    ]);
    for (const { group, rule } of rules) {
      expect(group).toMatchObject({ folder: 'CloudTrail', interval: '1m', orgId: 1 });
      expect(rule.uid).toMatch(/^trailhound-[a-z0-9-]+$/);
      expect(rule.uid.length).toBeLessThanOrEqual(40);
      // A security rule opens its panel on the Alerts dashboard; the ingestion rule opens the Ingestion dashboard.
      const dashboard = rule.uid === 'trailhound-no-events' ? 'trailhound-ingestion' : 'trailhound-alerts';
      expect(rule.annotations).toMatchObject({ summary: expect.any(String), description: expect.any(String), __dashboardUid__: dashboard });
      expect(allPanels(byUid.get(dashboard)!).map((p) => String(p.id))).toContain(rule.annotations.__panelId__);
      expect(rule.labels).toMatchObject({ severity: expect.stringMatching(/^(info|warning|critical)$/) });
      // Grafana expands environment variables in provisioned labels (not in annotations): a `$` there would vanish.
      expect(strings(rule.labels).filter((l) => l.includes('$'))).toEqual([]);
      expect(rule.for).toMatch(/^\d+[smh]$/);
    }
  });

  // A notification's runbook_url opens the rule's runbook in the user's own Grafana (the project has no public
  // address): the rule's section of docs/runbooks.md, which scripts/alerts-dashboard.mjs copies into a text panel of
  // the Alerts dashboard. Grafana's annotation templates give externalURL, its root_url (always ending in /).
  test('every rule has a runbook_url: a section of docs/runbooks.md headed by its title, shown alone on the Alerts dashboard', () => {
    const alerts = byUid.get('trailhound-alerts')!;
    const headings = anchorsOf('docs/runbooks.md');
    const ids = new Set<string>();
    for (const { rule } of rules) {
      const url = /^\{\{ externalURL \}\}d\/trailhound-alerts\/cloudtrail-alerts\?viewPanel=(\d+)$/.exec(rule.annotations.runbook_url ?? '');
      expect([rule.title, url?.[0]]).toEqual([rule.title, expect.any(String)]);
      ids.add(url![1]);
      expect([rule.title, headings.has(anchor(rule.title))]).toEqual([rule.title, true]);
      const section = sectionAt('docs/runbooks.md', anchor(rule.title))!;
      // What fired, what is usually benign, how to investigate, what to do.
      for (const part of ['**What fired.**', '**Usually benign.**', '**Investigate.**', '**Act.**']) {
        expect([rule.title, section]).toEqual([rule.title, expect.stringContaining(part)]);
      }
      // A CIS rule's runbook names its control, as the rule's label does.
      const control = new RegExp(`\\b(CIS|Benchmark)\\s+${rule.labels.cis?.replace('.', '\\.')}\\b`);
      if (rule.labels.cis) expect([rule.title, section]).toEqual([rule.title, expect.stringMatching(control)]);
      const panel = allPanels(alerts).find((p) => String(p.id) === url![1]);
      expect([rule.title, panel?.type, panel?.options?.mode, panel?.options?.content]).toEqual([rule.title, 'text', 'markdown', section]);
      // A security rule's runbook is under its chart and list, in the rule's row.
      if (rule.annotations.__dashboardUid__ !== 'trailhound-alerts') continue;
      const chart = allPanels(alerts).find((p) => String(p.id) === rule.annotations.__panelId__)!;
      expect([rule.title, panel!.gridPos]).toEqual([rule.title, { x: 0, y: chart.gridPos.y + chart.gridPos.h, w: 24, h: expect.any(Number) }]);
    }
    expect(ids.size).toBe(rules.length);
  });

  // When Grafana cannot query Trailhound, every rule fails at once: one rule reports it (a DatasourceError after its
  // pending period), the others keep their state, instead of one DatasourceError each for the same outage.
  test('one rule reports an outage of Trailhound (execErrState Error, not at once); every other rule keeps its last state', () => {
    const reporting = rules.filter(({ rule }) => rule.execErrState !== 'KeepLast').map(({ rule }) => [rule.uid, rule.execErrState, rule.for, rule.isPaused]);
    expect(reporting).toEqual([['trailhound-no-events', 'Error', '15m', false]]);
  });

  test('every description says what to do about the alert (its runbook, in a sentence of its own), not only what fired', () => {
    // A clause that starts with one of these: "… root and why: check who signed in", "Require MFA …", "Open the Ingestion dashboard".
    const action = /(?:^|[.:;] )(?:check|cancel|require|open|start)\b/i;
    for (const { rule } of rules) expect([rule.title, action.test(rule.annotations.description)]).toEqual([rule.title, true]);
  });

  test.each(rules.map(({ rule }) => [rule.title, rule] as const))('%s: A is a Trailhound query, B reduces it, C is the condition', (_title, rule) => {
    const refIds = rule.data.map((d) => d.refId);
    expect(new Set(refIds).size).toBe(refIds.length);
    expect(refIds).toContain(rule.condition);
    const [a, ...expressions] = rule.data;
    expect(a).toMatchObject({ refId: 'A', datasourceUid: 'trailhound', relativeTimeRange: { from: expect.any(Number), to: 0 } });
    expect(a.relativeTimeRange!.from).toBeGreaterThanOrEqual(300);
    expect(a.model.datasource).toEqual(DATASOURCE);
    const resolved = resolveQuery(a.model);
    // One series per group, so one alert instance per user and account (or per account), labelled; the ingestion rule
    // counts everything in one series.
    expect(resolved).toMatchObject({ queryType: 'events', format: 'timeseries' });
    expect(resolved.groupBy === 'none').toBe(rule.uid === 'trailhound-no-events');
    for (const e of expressions) {
      expect(e.datasourceUid).toBe('__expr__');
      expect(e.model.refId).toBe(e.refId);
      expect(refIds.slice(0, refIds.indexOf(e.refId))).toContain(e.model.expression);
    }
    expect(expressions.map((e) => e.model.type)).toEqual(['reduce', 'threshold']);
    expect(rule.condition).toBe('C');
    // Template variables of the annotations name the group labels the query produces: each of them (a pair's user and
    // account both), and no other.
    const labelRefs = strings(rule.annotations).flatMap((s) => [...s.matchAll(/\$labels\.(\w+)/g)].map((m) => m[1]));
    expect(new Set(labelRefs)).toEqual(new Set(resolved.groupBy === 'none' ? [] : GROUP_LABELS[resolved.groupBy]));
    const valueRefs = strings(rule.annotations).flatMap((s) => [...s.matchAll(/\$values\.(\w+)/g)].map((m) => m[1]));
    for (const r of valueRefs) expect(refIds).toContain(r);
  });

  test('the CIS AWS Foundations Benchmark monitoring controls 4.1-4.15, one rule each; the change-tracking ones paused until chosen', () => {
    const byCis = new Map(rules.filter(({ rule }) => rule.labels.cis).map(({ group, rule }) => [rule.labels.cis, { group, rule }]));
    expect([...byCis.keys()].sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]))).toEqual(Array.from({ length: 15 }, (_, i) => `4.${i + 1}`));
    for (const [cis, { group, rule }] of byCis) {
      const changes = ['4.4', ...Array.from({ length: 9 }, (_, i) => `4.${i + 7}`)].includes(cis);
      expect([cis, group.name, rule.isPaused, rule.labels.severity])
        .toEqual(changes ? [cis, 'CIS change monitoring', true, 'info'] : [cis, 'CloudTrail security', false, rule.labels.severity]);
      if (!changes) continue;
      // Any call of the list, by anyone, refused or not, as the benchmark's metric filter counts them.
      expect(resolveQuery(rule.data[0].model))
        .toMatchObject({ groupBy: 'userAndAccount', status: 'all', readOnly: 'all', mfa: 'all', resourceId: '', timeField: 'arrival' });
      expect(rule.data[2].model.conditions[0].evaluator).toEqual({ type: 'gt', params: [0] });
      expect(rule.annotations.description).toContain(`CIS AWS Foundations Benchmark ${cis}`);
    }
    const filters = (cis: string) => resolveQuery(byCis.get(cis)!.rule.data[0].model).filters;
    // Where an event name is not the service's alone (IAM's and Organizations' CreatePolicy, EC2's and API Gateway's
    // CreateRoute), or the benchmark names the service, the rule does too.
    expect(['4.4', '4.7', '4.8', '4.9', '4.13', '4.15'].map((cis) => filters(cis).service))
      .toEqual([['iam'], ['kms'], ['s3'], ['config'], ['ec2'], ['organizations']]);
    // Beside the benchmark's names, the call that makes an older version of a managed policy the one in force, and the
    // one that rewrites an existing security group rule (since 2021): each changes what is allowed without any other.
    expect(filters('4.4').eventName).toEqual(expect.arrayContaining(['PutRolePolicy', 'AttachUserPolicy', 'CreatePolicyVersion', 'SetDefaultPolicyVersion']));
    expect(filters('4.10').eventName).toEqual(
      expect.arrayContaining(['AuthorizeSecurityGroupIngress', 'RevokeSecurityGroupEgress', 'ModifySecurityGroupRules'])
    );
    expect(filters('4.15').eventName).toEqual(expect.arrayContaining(['CreatePolicy', 'AttachPolicy', 'LeaveOrganization']));
  });

  test("a CIS rule whose list has an event name other services' calls share names its own service", () => {
    // The services that have a call of that name: an SCP, an IoT policy or a scaling policy is not an IAM policy,
    // an API Gateway or App Mesh route not a route table's (Security Hub's CloudWatch.13 names ec2 so).
    const shared: Record<string, string[]> = {
      CreatePolicy: ['iam', 'organizations', 'iot'],
      DeletePolicy: ['iam', 'organizations', 'iot', 'autoscaling'],
      CreatePolicyVersion: ['iam', 'iot'],
      DeletePolicyVersion: ['iam', 'iot'],
      SetDefaultPolicyVersion: ['iam', 'iot'],
      AttachPolicy: ['organizations', 'iot'],
      DetachPolicy: ['organizations', 'iot'],
      CreateRoute: ['ec2', 'apigateway', 'appmesh'],
      DeleteRoute: ['ec2', 'apigateway', 'appmesh'],
    };
    let checked = 0;
    for (const { rule } of rules.filter(({ rule }) => rule.labels.cis)) {
      const { eventName = [], service = [] } = resolveQuery(rule.data[0].model).filters;
      const names = eventName.filter((name) => shared[name]);
      if (names.length === 0) continue;
      checked += 1;
      expect([rule.labels.cis, service.length, names.filter((name) => !shared[name].includes(service[0]))]).toEqual([rule.labels.cis, 1, []]);
    }
    expect(checked).toBe(3);
  });

  test('rule-specific filters', () => {
    const model = (title: string) => resolveQuery(rules.find(({ rule }) => rule.title === title)!.rule.data[0].model);
    expect(model('Failed authorization attempts per user and account')).toMatchObject({ status: 'unauthorized', groupBy: 'userAndAccount', aggregate: 'auto' });
    // The Root identity, as the CIS filter has it: an IAM user or a role may be called root too.
    expect(model('Root account activity')).toMatchObject({ filters: { identityType: ['Root'] }, serviceCalls: 'exclude' });
    // CIS 4.5's filter names these five; PutEventSelectors narrows a trail without them.
    expect(model('CloudTrail configuration changes').filters.eventName).toEqual(
      expect.arrayContaining(['CreateTrail', 'UpdateTrail', 'DeleteTrail', 'StartLogging', 'StopLogging', 'PutEventSelectors'])
    );
    expect(model('Failed console logins')).toMatchObject({ status: 'error', filters: { eventName: ['ConsoleLogin', 'CredentialVerification'] } });
    // Every event counts, and fewer than one in the hour (or no answer at all) is the alarm.
    const noEvents = rules.find(({ rule }) => rule.uid === 'trailhound-no-events')!.rule;
    expect(model('No CloudTrail events arriving')).toMatchObject({ groupBy: 'none', status: 'all', readOnly: 'all', mfa: 'all', resourceId: '', filters: {} });
    // Every rule counts what arrived in its window: an event stored late fires when it arrives.
    for (const { rule } of rules) expect(resolveQuery(rule.data[0].model).timeField).toBe('arrival');
    expect(noEvents.data[0].relativeTimeRange).toEqual({ from: 3600, to: 0 });
    expect(noEvents.data[2].model.conditions[0].evaluator).toEqual({ type: 'lt', params: [1] });
    expect(noEvents).toMatchObject({ noDataState: 'Alerting', execErrState: 'Error' });
  });

  test('a rule with a threshold above 0 counts peaks over its own window and takes the highest; the others sum', () => {
    for (const { rule } of rules) {
      const [threshold] = rule.data[2].model.conditions[0].evaluator.params;
      const { peakWindow } = resolveQuery(rule.data[0].model);
      const peaks = rule.data[2].model.conditions[0].evaluator.type === 'gt' && threshold > 0;
      // The window is the rule's range: a chart of the query counts what the rule counts, whatever its own range.
      expect([rule.title, peakWindow, rule.data[1].model.reducer])
        .toEqual([rule.title, peaks ? rule.data[0].relativeTimeRange!.from / 60 : 0, peaks ? 'max' : 'sum']);
    }
  });

  test('a title that names what a rule counts per names its group: per user and account for the pair', () => {
    const per = rules.filter(({ rule }) => / per /.test(rule.title));
    expect(per.length).toBeGreaterThan(0);
    for (const { rule } of per) {
      const { groupBy } = resolveQuery(rule.data[0].model);
      expect(rule.title).toMatch(new RegExp(` per ${groupBy === 'none' ? 'nothing' : GROUP_LABELS[groupBy].join(' and ')}$`));
    }
  });

  test('the docs say what the rules count (per user and account, not "one user" alone); the plugin README and the CHANGELOG name the Peak window', () => {
    const peaks = rules.map(({ rule }) => resolveQuery(rule.data[0].model)).filter((q) => q.peakWindow > 0);
    expect(peaks.map((q) => q.groupBy)).toEqual(['userAndAccount', 'userAndAccount']);
    // Each file's text as one line: the rules file's comments without their #.
    const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8').replace(/\s*\n[\s#]*/g, ' ');
    const files = [
      'README.md', 'docs/DESIGN.md', 'dashboards/README.md', 'CHANGELOG.md', 'src/plugin/README.md', 'provisioning/alerting/trailhound-rules.yaml',
    ];
    for (const file of files) {
      expect([file, read(file).match(/\b(?:one|its) user made\b/g)]).toEqual([file, null]);
    }
    // Every rule grouped by user is grouped by user and account: an instance per user in each account. (The plugin's
    // README speaks of any query grouped by user.)
    expect(rules.filter(({ rule }) => resolveQuery(rule.data[0].model).groupBy === 'user')).toEqual([]);
    for (const file of ['README.md', 'docs/DESIGN.md', 'dashboards/README.md', 'CHANGELOG.md', 'provisioning/alerting/trailhound-rules.yaml']) {
      expect([file, read(file).match(/\balert instances? per user\b(?! in each account| and account)[^.]*/g)]).toEqual([file, null]);
    }
    for (const file of ['src/plugin/README.md', 'CHANGELOG.md']) expect([file, read(file)]).toEqual([file, expect.stringContaining('**Peak window')]);
  });
});
