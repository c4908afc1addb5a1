// The DataSource's own methods. Lookups are stubbed at getResource/postResource, the edge of the browser code;
// the TemplateSrv is a stand-in installed with setTemplateSrv, as there is no Grafana server here.
import { CoreApp, dateTime, LoadingState, type AdHocVariableFilter, type DataQueryRequest, type TimeRange } from '@grafana/data';
import { setBackendSrv, setDataSourceSrv, setTemplateSrv, type BackendSrv, type BackendSrvRequest, type DataSourceSrv } from '@grafana/runtime';
import { lastValueFrom, of } from 'rxjs';
import { annotationSupport } from './annotations';
import { DataSource } from './datasource';
import { fakeTemplateSrv } from './testing/fakeTemplateSrv';
import { instanceSettings } from './testing/settings';
import type { Query, ValuesRequest, VariableQuery } from './types';

beforeEach(() => {
  setTemplateSrv(fakeTemplateSrv({ users: ['alice', 'bob'], search: 'adm', timeField: 'arrival', times: ['arrival', 'event'], blank: '' }));
  jest.restoreAllMocks();
});

describe('DataSource', () => {
  const ds = () => new DataSource(instanceSettings());

  it('defaults to an events time series grouped by user, with no filters', () => {
    expect(ds().getDefaultQuery(CoreApp.PanelEditor)).toEqual({
      queryType: 'events',
      format: 'timeseries',
      groupBy: 'user',
      aggregate: 'auto',
      status: 'all',
      readOnly: 'all',
      mfa: 'all',
      timeField: 'event',
      serviceCalls: 'include',
      limit: 20,
    });
  });

  it('starts a new alert rule as the provisioned rules: by arrival time, per user and account, keeping 1000 groups', () => {
    expect(ds().getDefaultQuery(CoreApp.UnifiedAlerting)).toEqual({
      ...ds().getDefaultQuery(CoreApp.PanelEditor),
      timeField: 'arrival',
      groupBy: 'userAndAccount',
      limit: 1000,
    });
    expect(ds().getDefaultQuery(CoreApp.Explore)).toMatchObject({ timeField: 'event', groupBy: 'user', limit: 20 });
  });

  it('skips hidden queries', () => {
    expect(ds().filterQuery({ refId: 'A' })).toBe(true);
    expect(ds().filterQuery({ refId: 'A', hide: false })).toBe(true);
    expect(ds().filterQuery({ refId: 'A', hide: true })).toBe(false);
  });

  it('expands template variables before the query leaves the browser', () => {
    const query = { refId: 'A', filters: { user: ['$users'] }, resourceId: 'i-1' };
    expect(ds().applyTemplateVariables(query, {})).toEqual({ refId: 'A', filters: { user: ['alice', 'bob'] }, resourceId: 'i-1' });
  });

  it('expands them in the exclusions as in the filters: picked in the editor, stored as one string, or scoped to a repeated panel', () => {
    const exclude = { user: ['$users', 'carol'], eventName: 'HeadBucket' };
    const query = { refId: 'A', filters: { user: ['$users'] }, exclude } as unknown as Parameters<DataSource['applyTemplateVariables']>[0];
    expect(ds().applyTemplateVariables(query, {})).toEqual({
      refId: 'A',
      filters: { user: ['alice', 'bob'] },
      exclude: { user: ['alice', 'bob', 'carol'], eventName: ['HeadBucket'] },
    });
    const scoped = ds().applyTemplateVariables(query, { users: { text: 'dave', value: 'dave' } });
    expect(scoped.exclude).toEqual({ user: ['dave', 'carol'], eventName: ['HeadBucket'] });
  });

  it('looks up values of a dimension in a time range', async () => {
    const get = jest.spyOn(DataSource.prototype, 'getResource').mockResolvedValue({ values: [{ value: 'alice', count: 3 }] });
    await expect(ds().values('user', { from: 1000, to: 2000, q: 'al' })).resolves.toEqual([{ value: 'alice', count: 3 }]);
    expect(get).toHaveBeenCalledWith('values/user', { from: 1000, to: 2000, q: 'al' });
  });

  it('looks up values by arrival time, also from a dashboard variable, expanded as in a query', async () => {
    const get = jest.spyOn(DataSource.prototype, 'getResource').mockResolvedValue({ values: [] });
    // A stored time field may name a variable, which the model's type cannot say.
    const stored = (timeField: string) => ({ timeField }) as ValuesRequest;
    const d = ds();
    await d.values('user', { from: 1000, to: 2000, timeField: 'arrival' });
    expect(get).toHaveBeenLastCalledWith('values/user', { from: 1000, to: 2000, timeField: 'arrival' });
    for (const [timeField, sent] of [
      ['$timeField', { timeField: 'arrival' }],
      ['${timeField}', { timeField: 'arrival' }],
      // A multi-value variable gives its first value; one with nothing selected leaves the default (event time).
      ['$times', { timeField: 'arrival' }],
      ['$blank', {}],
    ] as const) {
      await d.values('user', stored(timeField));
      expect([timeField, get.mock.lastCall]).toEqual([timeField, ['values/user', sent]]);
    }
    // A repeated panel's own value of the variable wins.
    await d.values('user', stored('$timeField'), { timeField: { text: 'Event time', value: 'event' } });
    expect(get).toHaveBeenLastCalledWith('values/user', { timeField: 'event' });
  });

  it('sends only the lookup parameters that are set', async () => {
    const get = jest.spyOn(DataSource.prototype, 'getResource').mockResolvedValue({});
    await expect(ds().values('region', { q: '' })).resolves.toEqual([]);
    expect(get).toHaveBeenCalledWith('values/region', {});
  });

  it('reads trails, ingestion status and unreadable files, and starts a backfill', async () => {
    const status = {
      objects: 1, events: 2, errors: 1, skipped: 0, newestEvent: null, oldestEvent: null, lagSeconds: null, lastPoll: null, lastPollError: null,
    };
    const unreadable = { total: 1, errors: [{ source: './logs', key: 'bad.json', reason: 'not JSON', failedAt: '2026-11-25T10:00:00.000Z' }] };
    const answers: Record<string, unknown> = { trails: { trails: [{ name: 'main' }] }, 'ingest/status': status, 'ingest/errors': unreadable };
    const get = jest.spyOn(DataSource.prototype, 'getResource').mockImplementation(async (path: string) => answers[path]);
    const post = jest.spyOn(DataSource.prototype, 'postResource').mockResolvedValue({ status: 'started', days: 30 });
    const d = ds();
    await expect(d.trails()).resolves.toEqual([{ name: 'main' }]);
    await expect(d.ingestStatus()).resolves.toEqual(status);
    expect(get).toHaveBeenCalledWith('ingest/status');
    await expect(d.ingestErrors(5)).resolves.toEqual(unreadable);
    expect(get).toHaveBeenCalledWith('ingest/errors', { limit: 5 });
    await expect(d.backfill(30)).resolves.toEqual({ status: 'started', days: 30 });
    expect(post).toHaveBeenCalledWith('backfill', { days: 30 });
  });

  it('lets a lookup failure reach the caller', async () => {
    jest.spyOn(DataSource.prototype, 'getResource').mockRejectedValue(new Error('connect ECONNREFUSED'));
    await expect(ds().values('user')).rejects.toThrow('ECONNREFUSED');
  });
});

describe('ad hoc filters', () => {
  const ds = () => new DataSource(instanceSettings());
  const range = { from: dateTime(1_000), to: dateTime(9_000), raw: { from: 'now-1h', to: 'now' } } as TimeRange;

  it('offers the filters as keys, by the labels the editor shows', async () => {
    const keys = await ds().getTagKeys();
    expect(keys).toHaveLength(11);
    expect(keys[0]).toEqual({ text: 'Region', value: 'region' });
    expect(keys).toContainEqual({ text: 'IP address', value: 'sourceIp' });
  });

  it("offers a key's values from the service's list in the dashboard's time range, every one of them", async () => {
    const get = jest.spyOn(DataSource.prototype, 'getResource').mockResolvedValue({ values: [{ value: 'alice', count: 9 }, { value: 'bob ', count: 2 }] });
    await expect(ds().getTagValues({ key: 'user', filters: [], timeRange: range })).resolves.toEqual([
      { text: 'alice', value: 'alice' },
      { text: 'bob ', value: 'bob ' },
    ]);
    expect(get).toHaveBeenCalledWith('values/user', { from: 1_000, to: 9_000, limit: 10_000 });
    // No range given: the service's default one.
    await ds().getTagValues({ key: 'eventCategory', filters: [] });
    expect(get).toHaveBeenLastCalledWith('values/eventCategory', { limit: 10_000 });
  });

  it("narrows a key's values by the dashboard's other ad hoc filters, as a query takes them, leaving out its own and those none can take", async () => {
    const get = jest.spyOn(DataSource.prototype, 'getResource').mockResolvedValue({ values: [{ value: 'eu-west-1', count: 4 }] });
    // Narrowed, the list is posted: hundreds of filter values made a URL past the service's 16 KB of headers.
    const post = jest.spyOn(DataSource.prototype, 'postResource').mockResolvedValue({ values: [{ value: 'eu-west-1', count: 4 }] });
    const filters: AdHocVariableFilter[] = [
      { key: 'user', operator: '=|', value: 'alice', values: ['alice', 'bob'] },
      { key: 'user', operator: '=', value: 'bob' },
      { key: 'eventName', operator: '!=', value: 'HeadBucket' },
      { key: 'errorCode', operator: '!=|', value: 'AccessDenied', values: ['AccessDenied', '(none)'] },
      // The key's own filter: its other values stay to pick.
      { key: 'region', operator: '=', value: 'us-east-1' },
      // None a query can take: the panels refuse them and say so.
      { key: 'sourceIp', operator: '=~', value: '^10\\.' },
      { key: 'userName', operator: '=', value: 'bob' },
    ];
    await expect(ds().getTagValues({ key: 'region', filters, timeRange: range })).resolves.toEqual([{ text: 'eu-west-1', value: 'eu-west-1' }]);
    expect(post).toHaveBeenCalledWith('values/region', {
      from: 1_000,
      to: 9_000,
      limit: 10_000,
      filters: { user: ['bob'] },
      exclude: { eventName: ['HeadBucket'], errorCode: ['AccessDenied', '(none)'] },
    });
    // A user = alice beside user = bob keeps no one, as in a query: bob kept and left out at once.
    await ds().getTagValues({ key: 'region', filters: [filters[1], { key: 'user', operator: '=', value: 'alice' }] });
    const nobody = { user: ['alice'] };
    expect(post).toHaveBeenLastCalledWith('values/region', { limit: 10_000, filters: nobody, exclude: nobody });
    expect(get).not.toHaveBeenCalled();
    // Only the key's own, or none that apply: the whole list, asked as an older service takes it.
    await ds().getTagValues({ key: 'region', filters: [filters[4], filters[5]] });
    expect(get).toHaveBeenLastCalledWith('values/region', { limit: 10_000 });
  });

  it('offers no values for a key that is no filter, and asks the service nothing', async () => {
    const get = jest.spyOn(DataSource.prototype, 'getResource').mockResolvedValue({ values: [{ value: 'x', count: 1 }] });
    await expect(ds().getTagValues({ key: 'User', filters: [], timeRange: range })).resolves.toEqual([]);
    expect(get).not.toHaveBeenCalled();
  });

  it("adds them after the query's own variables are expanded: = narrows the filter, != adds an exclusion", () => {
    const query: Query = { refId: 'A', queryType: 'events', filters: { user: ['$users'] } };
    const filters: AdHocVariableFilter[] = [
      { key: 'user', operator: '=', value: 'bob' },
      { key: 'region', operator: '!=|', value: 'us-east-1', values: ['us-east-1', 'eu-west-1'] },
    ];
    expect(ds().applyTemplateVariables(query, {}, filters)).toEqual({
      refId: 'A',
      queryType: 'events',
      filters: { user: ['bob'] },
      exclude: { region: ['us-east-1', 'eu-west-1'] },
    });
    // An ad hoc value is taken as it is: '$users' is a user named so, not the variable.
    expect(ds().applyTemplateVariables({ refId: 'A' }, {}, [{ key: 'user', operator: '=', value: '$users' }]).filters).toEqual({ user: ['$users'] });
  });

  it("decides by the report type the query's variable names: a trails list from $report takes no filters, not even one it could not apply", () => {
    setTemplateSrv(fakeTemplateSrv({ report: 'trails', summary: 'totals' }));
    const regex: AdHocVariableFilter[] = [{ key: 'user', operator: '=~', value: 'adm.*' }];
    const trails = { refId: 'A', queryType: '$report' } as unknown as Query;
    expect(ds().applyTemplateVariables(trails, {}, regex)).toEqual({ refId: 'A', queryType: 'trails' });
    const totals = { refId: 'A', queryType: '$summary' } as unknown as Query;
    const notRoot: AdHocVariableFilter[] = [{ key: 'user', operator: '!=', value: 'root' }];
    expect(ds().applyTemplateVariables(totals, {}, notRoot)).toMatchObject({ queryType: 'totals', exclude: { user: ['root'] } });
    expect(() => ds().applyTemplateVariables(totals, {}, regex)).toThrow('=~ is not supported');
  });

  describe('Explore from a panel', () => {
    const ref = { type: instanceSettings().type, uid: instanceSettings().uid };

    it("expands the variables and adds the ad hoc filters, as a panel's query is sent, naming this data source", () => {
      const queries: Query[] = [
        // A stored time field may name a variable, which the model's type cannot say.
        { refId: 'A', datasource: { type: ref.type, uid: '${ds}' }, queryType: 'events', filters: { user: ['$users'] }, timeField: '$timeField' as 'event' },
        { refId: 'B', queryType: 'trails' },
      ];
      const filters: AdHocVariableFilter[] = [{ key: 'user', operator: '=', value: 'bob' }, { key: 'region', operator: '!=', value: 'us-east-1' }];
      expect(ds().interpolateVariablesInQueries(queries, {}, filters)).toEqual([
        { refId: 'A', datasource: ref, queryType: 'events', filters: { user: ['bob'] }, exclude: { region: ['us-east-1'] }, timeField: 'arrival' },
        { refId: 'B', datasource: ref, queryType: 'trails' },
      ]);
      // A repeated panel's own value of a variable wins; no ad hoc filters, none added.
      const scoped = ds().interpolateVariablesInQueries(queries.slice(0, 1), { users: { text: 'dave', value: 'dave' } });
      expect(scoped[0].filters).toEqual({ user: ['dave'] });
      expect(scoped[0].exclude).toBeUndefined();
    });

    it('opens with the ad hoc filters the query can take, leaving out one it cannot', () => {
      const filters: AdHocVariableFilter[] = [
        { key: 'user', operator: '=~', value: 'adm.*' },
        { key: 'region', operator: '=|', value: 'eu-west-1', values: ['eu-west-1', 'us-east-1'] },
        { key: 'region', operator: '=', value: 'us-east-1' },
      ];
      const [query] = ds().interpolateVariablesInQueries([{ refId: 'A', queryType: 'totals', filters: { user: ['$users'] } }], {}, filters);
      // What was left out goes with the query, for its editor to say.
      const adHocLeftOut = [
        'ad hoc filter "user =~ adm.*": =~ is not supported: Trailhound matches whole values; use =, !=, or their "one of" forms (=| and !=|)',
      ];
      const filtered = { user: ['alice', 'bob'], region: ['us-east-1'] };
      expect(query).toEqual({ refId: 'A', datasource: ref, queryType: 'totals', filters: filtered, exclude: {}, adHocLeftOut });
      // A query opened again says what this opening left out: nothing, or only its own.
      const [again] = ds().interpolateVariablesInQueries([query], {}, filters.slice(1));
      expect(again).toEqual({ refId: 'A', datasource: ref, queryType: 'totals', filters: filtered, exclude: {} });
      const [other] = ds().interpolateVariablesInQueries([query], {}, [{ key: 'account', operator: '<', value: '2' }]);
      expect(other.adHocLeftOut).toEqual([expect.stringMatching(/^ad hoc filter "account < 2": < is not supported/)]);
      // A list and an ingestion report take no filters, so leave none out.
      expect(ds().interpolateVariablesInQueries([{ refId: 'B', queryType: 'trails' }], {}, filters)[0].adHocLeftOut).toBeUndefined();
    });
  });

  describe('query', () => {
    let sent: Query[][];
    beforeEach(() => {
      sent = [];
      // Grafana's /api/ds/query, which cannot run here: it records the queries and answers each with no frames.
      const fetch = (options: BackendSrvRequest) => {
        const queries = (options.data as { queries: Query[] }).queries;
        sent.push(queries);
        const results = Object.fromEntries(queries.map((q) => [q.refId, { status: 200, frames: [] }]));
        const response = { status: 200, ok: true, headers: new Headers(), redirected: false, statusText: 'OK', type: 'basic' };
        return of({ ...response, url: options.url, config: options, data: { results } });
      };
      setBackendSrv({ fetch } as unknown as BackendSrv);
    });
    const request = (targets: Query[], filters: AdHocVariableFilter[]) =>
      ({ requestId: 'Q1', targets, filters, range, scopedVars: {}, interval: '1m', intervalMs: 60_000 }) as unknown as DataQueryRequest<Query>;

    it('sends every query with the filters applied where they apply; the trails list and ingestion as they are', async () => {
      const targets: Query[] = [
        { refId: 'A', queryType: 'events', filters: { user: ['alice'] } },
        { refId: 'B', queryType: 'totals' },
        { refId: 'C', queryType: 'trails' },
        { refId: 'D', queryType: 'ingest', ingestView: 'errors' },
      ];
      const answer = await lastValueFrom(ds().query(request(targets, [{ key: 'user', operator: '=', value: 'bob' }])));
      expect(answer.errors).toBeUndefined();
      const [queries] = sent;
      expect(queries.map((q) => [q.refId, q.filters, q.exclude])).toEqual([
        // alice, and bob: no one.
        ['A', { user: ['bob'] }, { user: ['bob'] }],
        ['B', { user: ['bob'] }, {}],
        ['C', undefined, undefined],
        ['D', undefined, undefined],
      ]);
    });

    it('leaves a hidden query out, unsent and unrefused: a filter it could not take does not fail the panel', async () => {
      const targets: Query[] = [
        { refId: 'A', queryType: 'trails' },
        { refId: 'B', queryType: 'events', hide: true },
      ];
      const answer = await lastValueFrom(ds().query(request(targets, [{ key: 'user', operator: '=~', value: 'adm.*' }])));
      expect(sent.flat().map((q) => q.refId)).toEqual(['A']);
      expect(answer.state).not.toBe(LoadingState.Error);
      expect(answer.errors).toBeUndefined();
    });

    it('answers a query with an unsupported filter with its own error, runs the others, and runs a query without filters as it is', async () => {
      const targets: Query[] = [
        { refId: 'A', queryType: 'events' },
        { refId: 'B', queryType: 'trails' },
      ];
      const answer = await lastValueFrom(ds().query(request(targets, [{ key: 'user', operator: '=~', value: 'adm.*' }])));
      expect(sent).toEqual([[expect.objectContaining({ refId: 'B', queryType: 'trails' })]]);
      expect(sent[0][0].filters).toBeUndefined();
      const message =
        'invalid query: ad hoc filter "user =~ adm.*": =~ is not supported: Trailhound matches whole values; use =, !=, or their "one of" forms (=| and !=|)';
      expect(answer.errors).toEqual([{ refId: 'A', message, status: 400 }]);
      expect(answer.error).toEqual({ refId: 'A', message, status: 400 });
      expect(answer.state).toBe(LoadingState.Error);
    });

    it("checks the queries of this data source only, a panel's $datasource variable naming it included: not an expression", async () => {
      // Grafana's data source registry, which cannot run here: `${ds}` is this data source, __expr__ the expressions.
      const own = instanceSettings();
      const expressions = instanceSettings({ uid: '__expr__', type: '__expr__', name: 'Expression' });
      const registry = { [own.uid]: own, '${ds}': own, __expr__: expressions };
      setDataSourceSrv({ getInstanceSettings: (ref?: { uid?: string } | null) => registry[ref?.uid ?? own.uid] } as unknown as DataSourceSrv);
      const targets = [
        { refId: 'A', datasource: { type: own.type, uid: '${ds}' }, queryType: 'events' },
        { refId: 'B', datasource: { type: '__expr__', uid: '__expr__' }, type: 'math', expression: '$A * 2' },
      ] as Query[];
      const answer = await lastValueFrom(ds().query(request(targets, [{ key: 'user', operator: '<', value: 'm' }])));
      expect(answer.errors?.map((e) => [e.refId, e.message?.slice(0, 40)])).toEqual([['A', 'invalid query: ad hoc filter "user < m":']]);
      expect(sent[0].map((q) => [q.refId, q.filters])).toEqual([['B', undefined]]);
    });

    it("sends the dashboard's time zone with each of its queries, the browser's for 'browser', none for UTC or another data source's", async () => {
      const own = instanceSettings();
      const expressions = instanceSettings({ uid: '__expr__', type: '__expr__', name: 'Expression' });
      const registry = { [own.uid]: own, __expr__: expressions };
      setDataSourceSrv({ getInstanceSettings: (ref?: { uid?: string } | null) => registry[ref?.uid ?? own.uid] } as unknown as DataSourceSrv);
      const targets = [
        { refId: 'A', queryType: 'events', aggregate: 'day' },
        { refId: 'B', datasource: { type: '__expr__', uid: '__expr__' }, type: 'math', expression: '$A * 2' },
      ] as Query[];
      const zones = async (timezone: string) => {
        sent = [];
        await lastValueFrom(ds().query({ ...request(targets, []), timezone }));
        return sent[0].map((q) => [q.refId, q.timeZone]);
      };
      expect(await zones('Australia/Sydney')).toEqual([['A', 'Australia/Sydney'], ['B', undefined]]);
      expect(await zones('utc')).toEqual([['A', undefined], ['B', undefined]]);
      // The browser's own zone, as Intl gives it: a browser in São Paulo's.
      const browser = Intl.DateTimeFormat().resolvedOptions();
      jest.spyOn(Intl.DateTimeFormat.prototype, 'resolvedOptions').mockReturnValue({ ...browser, timeZone: 'America/Sao_Paulo' });
      expect(await zones('browser')).toEqual([['A', 'America/Sao_Paulo'], ['B', undefined]]);
      expect(await zones('')).toEqual([['A', 'America/Sao_Paulo'], ['B', undefined]]);
      // Not saved in the query: the panel's own target is as it was.
      expect(targets[0]).toEqual({ refId: 'A', queryType: 'events', aggregate: 'day' });
    });

    it("narrows an annotation's events as a panel's, as Grafana asks for them: its query with the ad hoc filters of its data source", async () => {
      // As Grafana's annotation layer (Scenes' executeAnnotationQuery) builds the request: the prepared query as 'Anno',
      // the dashboard's ad hoc filters of this data source in `filters`.
      const target = { refId: 'A', filters: { eventName: ['StopLogging', 'DeleteTrail'] } };
      const annotation = { name: 'Trail changes', enable: true, iconColor: 'red', target };
      const prepared = annotationSupport.prepareQuery!(annotationSupport.prepareAnnotation!(annotation))!;
      const targets = [{ ...prepared, refId: 'Anno' }];
      const filters: AdHocVariableFilter[] = [{ key: 'eventName', operator: '=', value: 'StopLogging' }, { key: 'user', operator: '!=', value: 'deployer' }];
      const answer = await lastValueFrom(ds().query(request(targets, filters)));
      expect(answer.errors).toBeUndefined();
      expect(sent).toEqual([[expect.objectContaining({ refId: 'Anno', queryType: 'events', format: 'list' })]]);
      expect(sent[0][0]).toMatchObject({ filters: { eventName: ['StopLogging'] }, exclude: { user: ['deployer'] } });
      // One it cannot apply: no marks, rather than the marks of events the dashboard leaves out.
      sent = [];
      const refused = await lastValueFrom(ds().query(request(targets, [{ key: 'user', operator: '=~', value: 'adm.*' }])));
      expect(sent).toEqual([]);
      expect(refused.data).toEqual([]);
      expect(refused.errors?.map((e) => e.refId)).toEqual(['Anno']);
    });

    it('expands each variable once: a value holding "$" is sent as it is, not read as a variable in turn', async () => {
      // query() expands the targets to find the ones to refuse, then DataSourceWithBackend expands them again to send:
      // both times the stored targets, never the expanded ones, so $other in a user's name stays.
      setTemplateSrv(fakeTemplateSrv({ users: ['a$b', '$other', '${other}'], other: 'X', resource: '[[other]]' }));
      const targets: Query[] = [{ refId: 'A', queryType: 'events', filters: { user: ['$users'] }, exclude: { user: ['x-$users'] }, resourceId: '$resource' }];
      const answer = await lastValueFrom(ds().query(request(targets, [{ key: 'sourceIp', operator: '=', value: '$other' }])));
      expect(answer.errors).toBeUndefined();
      expect(sent[0].map(({ filters, exclude, resourceId }) => ({ filters, exclude, resourceId }))).toEqual([
        {
          filters: { user: ['a$b', '$other', '${other}'], sourceIp: ['$other'] },
          exclude: { user: ['x-a$b', 'x-$other', 'x-${other}'] },
          resourceId: '[[other]]',
        },
      ]);
    });

    it('sends nothing when every query has a filter it cannot apply', async () => {
      const targets: Query[] = [{ refId: 'A' }, { refId: 'B', queryType: 'totals' }];
      const answer = await lastValueFrom(ds().query(request(targets, [{ key: 'sourceIp', operator: '!~', value: '^10\\.' }])));
      expect(sent).toEqual([]);
      expect(answer.data).toEqual([]);
      expect(answer.errors?.map((e) => e.refId)).toEqual(['A', 'B']);
    });
  });
});

describe('variable support', () => {
  const request = (target: Partial<VariableQuery>) =>
    ({
      targets: [{ refId: 'variable', ...target }],
      range: { from: dateTime(1_000), to: dateTime(9_000), raw: { from: 'now-1h', to: 'now' } },
      scopedVars: {},
    }) as unknown as DataQueryRequest<VariableQuery>;

  it('lists every value of one dimension in the dashboard time range, filtered by the search text', async () => {
    const get = jest.spyOn(DataSource.prototype, 'getResource').mockResolvedValue({ values: [{ value: 'admin', count: 9 }, { value: 'sysadmin', count: 2 }] });
    const response = await lastValueFrom(ds().variables!.query(request({ dimension: 'user', search: '$search' })));
    expect(get).toHaveBeenCalledWith('values/user', { from: 1_000, to: 9_000, q: 'adm', limit: 10_000 });
    const frame = response.data[0];
    expect(frame.fields[0].name).toBe('text');
    expect(frame.fields[0].values).toEqual(['admin', 'sysadmin']);
  });

  it('searches once per value of a multi-value variable, and lists each answer once', async () => {
    const answers: Record<string, string[]> = { alice: ['alice', 'alice-admin'], bob: ['bob', 'alice-admin'] };
    const get = jest
      .spyOn(DataSource.prototype, 'getResource')
      .mockImplementation(async (_path: string, params?: { q?: string }) => ({ values: answers[params?.q ?? ''].map((value) => ({ value, count: 1 })) }));
    const response = await lastValueFrom(ds().variables!.query(request({ dimension: 'user', search: '$users' })));
    expect(get.mock.calls.map((call) => call[1]?.q)).toEqual(['alice', 'bob']);
    expect(response.data[0].fields[0].values).toEqual(['alice', 'alice-admin', 'bob']);
  });

  it('searches for a value holding "$" as it is: the search text is expanded once', async () => {
    setTemplateSrv(fakeTemplateSrv({ users: ['a$b', '$search'], search: 'adm' }));
    const get = jest.spyOn(DataSource.prototype, 'getResource').mockResolvedValue({ values: [] });
    await lastValueFrom(ds().variables!.query(request({ dimension: 'user', search: '$users' })));
    expect(get.mock.calls.map((call) => call[1]?.q)).toEqual(['a$b', '$search']);
  });

  it('accepts a filter stored as one string, as the API and alert rules do', () => {
    const query = { refId: 'A', filters: { region: 'eu-west-1', user: '$users' } } as unknown as Parameters<DataSource['applyTemplateVariables']>[0];
    expect(ds().applyTemplateVariables(query, {}).filters).toEqual({ region: ['eu-west-1'], user: ['alice', 'bob'] });
  });

  it('lists by the time field the variable names: $timeField as the dashboard has it set, scoped values first', async () => {
    const get = jest.spyOn(DataSource.prototype, 'getResource').mockResolvedValue({ values: [{ value: 'late-user', count: 1 }] });
    const byVariable = request({ dimension: 'user', search: '', timeField: '$timeField' as VariableQuery['timeField'] });
    const response = await lastValueFrom(ds().variables!.query(byVariable));
    expect(get).toHaveBeenCalledWith('values/user', { from: 1_000, to: 9_000, limit: 10_000, timeField: 'arrival' });
    expect(response.data[0].fields[0].values).toEqual(['late-user']);
    const scoped = {
      ...request({ dimension: 'user', timeField: '$timeField' as VariableQuery['timeField'] }),
      scopedVars: { timeField: { text: 'Event time', value: 'event' } },
    };
    await lastValueFrom(ds().variables!.query(scoped));
    expect(get).toHaveBeenLastCalledWith('values/user', { from: 1_000, to: 9_000, limit: 10_000, timeField: 'event' });
    await lastValueFrom(ds().variables!.query(request({ dimension: 'region', timeField: 'arrival' })));
    expect(get).toHaveBeenLastCalledWith('values/region', { from: 1_000, to: 9_000, limit: 10_000, timeField: 'arrival' });
  });

  it("refuses a search that is not text (a variable's JSON edited by hand) in words, asking nothing", async () => {
    const get = jest.spyOn(DataSource.prototype, 'getResource').mockResolvedValue({ values: [] });
    const hand = request({ dimension: 'user', search: { q: 'adm' } as unknown as string });
    await expect(lastValueFrom(ds().variables!.query(hand))).rejects.toThrow(`This variable's "Containing" is {"q":"adm"} in its saved JSON, not text`);
    expect(get).not.toHaveBeenCalled();
  });

  it('passes a time field that is not text on as it is, for the service to refuse in words', async () => {
    const get = jest.spyOn(DataSource.prototype, 'getResource').mockResolvedValue({ values: [] });
    await lastValueFrom(ds().variables!.query(request({ dimension: 'user', timeField: 7 as unknown as VariableQuery['timeField'] })));
    expect(get).toHaveBeenCalledWith('values/user', { from: 1_000, to: 9_000, limit: 10_000, timeField: 7 });
  });

  it("asks for a stored dimension it does not know as it is, search and all: the service answers, or says what is wrong", async () => {
    const get = jest.spyOn(DataSource.prototype, 'getResource').mockRejectedValue(new Error('dimension: "eventname" is not one of …'));
    const typo = request({ dimension: 'eventname' as VariableQuery['dimension'], search: 'Delete' });
    await expect(lastValueFrom(ds().variables!.query(typo))).rejects.toThrow('dimension: "eventname" is not one of');
    expect(get).toHaveBeenCalledWith('values/eventname', { from: 1_000, to: 9_000, q: 'Delete', limit: 10_000 });
  });

  it("refuses a dimension that is not text (a variable's JSON edited by hand) in words, asking nothing", async () => {
    const get = jest.spyOn(DataSource.prototype, 'getResource').mockResolvedValue({ values: [] });
    const hand = request({ dimension: ['user'] as unknown as VariableQuery['dimension'] });
    const refused = `This variable's "Values of" is ["user"] in its saved JSON, not text`;
    await expect(lastValueFrom(ds().variables!.query(hand))).rejects.toThrow(refused);
    expect(get).not.toHaveBeenCalled();
  });

  it('falls back to users when the variable has no dimension yet', async () => {
    const get = jest.spyOn(DataSource.prototype, 'getResource').mockResolvedValue({ values: [] });
    await lastValueFrom(ds().variables!.query(request({})));
    expect(get).toHaveBeenCalledWith('values/user', { from: 1_000, to: 9_000, limit: 10_000 });
  });

  function ds() {
    return new DataSource(instanceSettings()) as DataSource & { variables: { query: (r: DataQueryRequest<VariableQuery>) => ReturnType<DataSource['query']> } };
  }
});
