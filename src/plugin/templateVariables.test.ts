// Template variables expand inside every filter list and the resource id; multi-value variables become several
// values. The TemplateSrv is a stand-in (see testing/fakeTemplateSrv): there is no Grafana server here.
import { DEFAULT_QUERY, resolveQuery } from '../model/query';
import { expandFilters, expandQuery, expandValue } from './templateVariables';
import { fakeTemplateSrv } from './testing/fakeTemplateSrv';

const templateSrv = fakeTemplateSrv({
  users: ['alice', 'bob'],
  region: 'eu-west-1',
  ips: ['203.0.113.7'],
  empty: [],
  instance: ['i-0abc', 'i-0def'],
});

describe('expandValue', () => {
  it('leaves plain values alone', () => {
    expect(expandValue('carol', templateSrv)).toEqual(['carol']);
  });
  it('turns a multi-value variable into several values', () => {
    expect(expandValue('$users', templateSrv)).toEqual(['alice', 'bob']);
    expect(expandValue('${users}', templateSrv)).toEqual(['alice', 'bob']);
  });
  it('expands a single-value variable', () => {
    expect(expandValue('[[region]]', templateSrv)).toEqual(['eu-west-1']);
  });
  it('drops a variable with nothing selected', () => {
    expect(expandValue('$empty', templateSrv)).toEqual([]);
  });
  it('gives one value per selected value when text surrounds a multi-value variable', () => {
    expect(expandValue('$users-admin', templateSrv)).toEqual(['alice-admin', 'bob-admin']);
    expect(expandValue('${users}@$instance', templateSrv)).toEqual(['alice@i-0abc', 'alice@i-0def', 'bob@i-0abc', 'bob@i-0def']);
    expect(expandValue('team-$empty', templateSrv)).toEqual([]);
  });
  it("keeps each value of a variable written with a joining format (${users:csv}, [[users:pipe]]): one joined value matches no event", () => {
    expect(expandValue('${users:csv}', templateSrv)).toEqual(['alice', 'bob']);
    expect(expandValue('[[users:pipe]]-x', templateSrv)).toEqual(['alice-x', 'bob-x']);
    expect(expandValue('${users:singlequote}', templateSrv)).toEqual(['alice', 'bob']);
    // The display text is Grafana's to give, as asked.
    expect(expandValue('${users:text}', templateSrv)).toEqual(['alice + bob']);
  });
  it('prefers scoped variables (repeated panels)', () => {
    expect(expandValue('$users', templateSrv, { users: { text: 'dave', value: 'dave' } })).toEqual(['dave']);
  });
});

describe('expandFilters', () => {
  it('expands inside every filter list and removes duplicates', () => {
    expect(
      expandFilters({ user: ['$users', 'alice', 'carol'], region: ['$region'], sourceIp: ['$ips', '198.51.100.1'], account: ['123456789012'] }, templateSrv)
    ).toEqual({ user: ['alice', 'bob', 'carol'], region: ['eu-west-1'], sourceIp: ['203.0.113.7', '198.51.100.1'], account: ['123456789012'] });
  });
});

describe('expandQuery', () => {
  it("passes what is not text on as it is (a panel's JSON edited by hand), for the service to refuse in words: not a TypeError", () => {
    // Grafana's replace() throws on an object ("replace is not a function"); left out, a null would widen the filter.
    const query = {
      refId: 'A', groupBy: { a: 1 }, status: 7, resourceId: 5, filters: { user: ['$users', null, 3, { a: 1 }], region: 'eu-west-1', account: 12 }, exclude: 'x',
    } as any;
    expect(expandQuery(query, templateSrv)).toEqual({ ...query, filters: { user: ['alice', 'bob', null, 3, { a: 1 }], region: ['eu-west-1'], account: 12 } });
    expect(expandQuery({ refId: 'A', filters: ['$users'] } as any, templateSrv).filters).toEqual(['$users']);
    expect(() => resolveQuery(expandQuery(query, templateSrv))).toThrow(/groupBy/);
  });
  it('keeps the stored query shape: same keys, filters still lists, resourceId still a string', () => {
    const query = {
      refId: 'A', queryType: 'events' as const, groupBy: 'user' as const, resourceId: '$instance', filters: { user: ['$users'], eventName: ['RunInstances'] },
    };
    const expanded = expandQuery(query, templateSrv);
    expect(Object.keys(expanded).sort()).toEqual(Object.keys(query).sort());
    expect(expanded).toEqual({ ...query, resourceId: 'i-0abc', filters: { user: ['alice', 'bob'], eventName: ['RunInstances'] } });
    // The stored query itself is not touched.
    expect(query.filters.user).toEqual(['$users']);
  });
  it('expands the single-choice fields the Events dashboard sets from variables', () => {
    const vars = fakeTemplateSrv({
      groupBy: 'sourceIp', aggregate: 'day', status: 'unauthorized', readOnly: 'write', time: 'arrival', serviceCalls: 'exclude', none: [],
    });
    const query = {
      refId: 'A', groupBy: '$groupBy', aggregate: '${aggregate}', status: '$status', readOnly: '$readOnly', timeField: '$time', serviceCalls: '$serviceCalls',
      format: 'table',
    } as any;
    expect(expandQuery(query, vars)).toEqual({
      refId: 'A', groupBy: 'sourceIp', aggregate: 'day', status: 'unauthorized', readOnly: 'write', timeField: 'arrival', serviceCalls: 'exclude',
      format: 'table',
    });
    expect(expandQuery({ refId: 'A', groupBy: '$none' } as any, vars).groupBy).toBeUndefined();
    // A multi-value variable gives its first value; nothing selected leaves the model's default.
    expect(expandQuery({ refId: 'A', serviceCalls: '[[both]]' } as any, fakeTemplateSrv({ both: ['exclude', 'include'] })).serviceCalls).toBe('exclude');
    expect(expandQuery({ refId: 'A', serviceCalls: '$none' } as any, vars).serviceCalls).toBeUndefined();
  });
  it('expands the exclusions as it does the filters', () => {
    const query = { refId: 'A', exclude: { user: ['$users'], eventName: ['HeadBucket'] } };
    expect(expandQuery(query, templateSrv)).toEqual({ refId: 'A', exclude: { user: ['alice', 'bob'], eventName: ['HeadBucket'] } });
  });
  it('an exclusion of a variable at "All" (the dashboards\' blank allValue) or of nothing selected leaves nothing out, not everything', () => {
    const vars = fakeTemplateSrv({ user: ' ', role: [] });
    const query = { refId: 'A', exclude: { user: ['$user'], role: ['$role'], eventName: ['HeadBucket'] } };
    expect(expandQuery(query, vars).exclude).toEqual({ user: [], role: [], eventName: ['HeadBucket'] });
  });
  it('expands a limit or peak window taken from a variable ("$top"), which the model reads as a number; numbers stay as they are', () => {
    const vars = fakeTemplateSrv({ top: '50', window: ['30', '60'], none: [] });
    const expanded = expandQuery({ refId: 'A', limit: '$top', peakWindow: '${window}' } as any, vars);
    expect(expanded).toMatchObject({ limit: '50', peakWindow: '30' });
    expect(resolveQuery(expanded)).toMatchObject({ limit: 50, peakWindow: 30 });
    // Nothing selected: the model's default, as for the choices.
    expect(resolveQuery(expandQuery({ refId: 'A', limit: '$none' } as any, vars)).limit).toBe(DEFAULT_QUERY.limit);
    expect(expandQuery({ refId: 'A', limit: 7, peakWindow: 0 }, vars)).toEqual({ refId: 'A', limit: 7, peakWindow: 0 });
  });
  it('adds nothing to a query without filters or resource id', () => {
    expect(expandQuery({ refId: 'A' }, templateSrv)).toEqual({ refId: 'A' });
  });
});
