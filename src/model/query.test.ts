import { NO_PERMISSION_SET, NO_ROLE, UNKNOWN_CATEGORY } from './fieldRules';
import {
  DEFAULT_ERRORS_LIMIT, DEFAULT_QUERY, DIMENSIONS, filterValues, GROUP_BYS, MAX_FILTER_VALUES, MODEL_KEYS, QueryError, resolveQuery, withoutDefaults,
} from './query';

test('an empty query is valid and gets every default', () => {
  expect(resolveQuery({})).toEqual(DEFAULT_QUERY);
  expect(resolveQuery(undefined)).toEqual(DEFAULT_QUERY);
  expect(resolveQuery({ queryType: '', groupBy: null })).toEqual(DEFAULT_QUERY);
});

test('given values are kept; filters are de-duplicated, blank ones dropped, and kept as given (a stored value may have spaces)', () => {
  const q = resolveQuery({
    queryType: 'events', format: 'table', groupBy: 'sourceIp', aggregate: 'day', status: 'unauthorized', readOnly: 'write', mfa: 'notUsed',
    timeField: 'arrival', serviceCalls: 'exclude', peakWindow: '30', resourceId: ' i-0abc ', limit: '50',
    filters: { user: [' alice', 'alice', '', '  ', 'bob', 'bob'], region: 'eu-west-1', service: [] },
    exclude: { eventName: ['HeadBucket', 'HeadBucket', ''], sourceIp: 'delivery.logs.amazonaws.com', role: [] },
    ingestView: 'errors',
  });
  expect(q).toEqual({
    queryType: 'events', format: 'table', groupBy: 'sourceIp', aggregate: 'day', status: 'unauthorized', readOnly: 'write', mfa: 'notUsed',
    timeField: 'arrival', serviceCalls: 'exclude', peakWindow: 30, resourceId: 'i-0abc', limit: 50,
    filters: { user: [' alice', 'alice', 'bob'], region: ['eu-west-1'] },
    exclude: { eventName: ['HeadBucket'], sourceIp: ['delivery.logs.amazonaws.com'] }, ingestView: 'errors',
  });
});

test('a null among a filter\'s values is refused, not dropped: [null] would drop the filter, and count every event', () => {
  expect(() => resolveQuery({ filters: { user: [null] } })).toThrow(new QueryError('filters.user[0]', 'must be a string'));
  expect(() => resolveQuery({ exclude: { user: ['alice', null] } })).toThrow(new QueryError('exclude.user[1]', 'must be a string'));
  // A blank value is none (a cleared field), as before.
  expect(resolveQuery({ filters: { region: [''] }, exclude: { user: [' '] } })).toMatchObject({ filters: {}, exclude: {} });
});

test.each([
  [{ queryType: 'everything' }, 'queryType'],
  [{ format: 'pie' }, 'format'],
  [{ groupBy: 'colour' }, 'groupBy'],
  [{ aggregate: 'minute' }, 'aggregate'],
  [{ status: 'ok' }, 'status'],
  [{ readOnly: true }, 'readOnly'],
  [{ mfa: 'maybe' }, 'mfa'],
  [{ timeField: 'received' }, 'timeField'],
  [{ serviceCalls: 'some' }, 'serviceCalls'],
  [{ ingestView: 'unreadable' }, 'ingestView'],
  [{ peakWindow: -5 }, 'peakWindow'],
  [{ peakWindow: 0.5 }, 'peakWindow'],
  [{ peakWindow: 1441 }, 'peakWindow'],
  [{ peakWindow: '30m' }, 'peakWindow'],
  [{ peakWindow: true }, 'peakWindow'],
  [{ resourceId: 42 }, 'resourceId'],
  [{ resourceId: 'x'.repeat(5000) }, 'resourceId'],
  [{ limit: 0 }, 'limit'],
  [{ limit: 1.5 }, 'limit'],
  [{ limit: 1_000_000 }, 'limit'],
  // Decimal text only: Number() reads hex, binary and Infinity, which no one means.
  [{ limit: '0x10' }, 'limit'],
  [{ limit: '0b11' }, 'limit'],
  [{ peakWindow: '0x1e' }, 'peakWindow'],
  // Number() reads both as whole numbers (10000 and 30): a fraction is refused however many digits it has.
  [{ limit: '10000.0000000000000001' }, 'limit'],
  [{ peakWindow: '30.0000000000000001' }, 'peakWindow'],
  [{ limit: [3] }, 'limit'],
  [{ filters: ['alice'] }, 'filters'],
  [{ filters: { colour: ['red'] } }, 'filters.colour'],
  [{ filters: { user: [1] } }, 'filters.user[0]'],
  [{ filters: { user: { a: 1 } } }, 'filters.user'],
  [{ filters: { user: Array.from({ length: MAX_FILTER_VALUES + 1 }, (_, i) => `u${i}`) } }, 'filters.user'],
  [{ exclude: ['HeadBucket'] }, 'exclude'],
  [{ exclude: { colour: ['red'] } }, 'exclude.colour'],
  [{ exclude: { eventName: [1] } }, 'exclude.eventName[0]'],
  [{ exclude: { eventName: Array.from({ length: MAX_FILTER_VALUES + 1 }, (_, i) => `e${i}`) } }, 'exclude.eventName'],
  ['a string', 'query'],
])('%j is refused, naming %s', (input, field) => {
  let error: unknown;
  try {
    resolveQuery(input);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(QueryError);
  expect((error as QueryError).field).toBe(field);
  expect((error as QueryError).message.startsWith(`${field}: `)).toBe(true);
});

test('withoutDefaults leaves out exactly the fields at their defaults, and resolves back to the same query', () => {
  expect(withoutDefaults(DEFAULT_QUERY)).toEqual({});
  const changed = resolveQuery({
    groupBy: 'userAndAccount', status: 'unauthorized', timeField: 'arrival', peakWindow: 30, filters: { user: ['alice'] }, limit: 1000,
  });
  expect(withoutDefaults(changed))
    .toEqual({ groupBy: 'userAndAccount', status: 'unauthorized', timeField: 'arrival', peakWindow: 30, filters: { user: ['alice'] }, limit: 1000 });
  // Every field of the model, each set away from its default on its own, is kept, and only it.
  const others: Record<string, unknown> = {
    queryType: 'totals', format: 'table', groupBy: 'region', aggregate: 'day', status: 'error', readOnly: 'write', mfa: 'used', timeField: 'arrival',
    serviceCalls: 'exclude', peakWindow: 5, resourceId: 'i-1', filters: { region: ['eu-west-1'] }, exclude: { eventName: ['HeadBucket'] }, limit: 7,
    ingestView: 'errors',
  };
  expect(Object.keys(others).sort()).toEqual([...MODEL_KEYS].sort());
  for (const key of MODEL_KEYS) {
    const query = resolveQuery({ [key]: others[key] });
    expect(withoutDefaults(query)).toEqual({ [key]: others[key] });
    expect(resolveQuery(withoutDefaults(query))).toEqual(query);
  }
});

test('the unreadable files list 100 when no limit is given, a work list; every other report its top 20', () => {
  expect(DEFAULT_ERRORS_LIMIT).toBe(100);
  expect(resolveQuery({ queryType: 'ingest', ingestView: 'errors' }).limit).toBe(DEFAULT_ERRORS_LIMIT);
  expect(resolveQuery({ queryType: 'ingest', ingestView: 'errors', limit: '' }).limit).toBe(DEFAULT_ERRORS_LIMIT);
  expect(resolveQuery({ queryType: 'ingest', ingestView: 'errors', limit: 20 }).limit).toBe(20);
  // The view belongs to ingest queries: an events query that carries it (left from an earlier choice) keeps its top N.
  for (const other of [{ queryType: 'ingest' }, { ingestView: 'errors' }, { queryType: 'totals', ingestView: 'errors' }]) {
    expect([other, resolveQuery(other).limit]).toEqual([other, DEFAULT_QUERY.limit]);
  }
  // Left out only at its own default: a list of 20 unreadable files sent without its limit would come back as 100.
  const errors = (limit?: number) => resolveQuery({ queryType: 'ingest', ingestView: 'errors', limit });
  expect(withoutDefaults(errors())).toEqual({ queryType: 'ingest', ingestView: 'errors' });
  expect(withoutDefaults(errors(20))).toEqual({ queryType: 'ingest', ingestView: 'errors', limit: 20 });
  expect(resolveQuery(withoutDefaults(errors(20)))).toEqual(errors(20));
});

test('role is a way to group and a filter with a value list: a role as given, "(none)" a value like any other', () => {
  expect(GROUP_BYS).toContain('role');
  expect(DIMENSIONS).toContain('role');
  const q = resolveQuery({ groupBy: 'role', filters: { role: ['Deployer', 'AWSReservedSSO_AdministratorAccess_8c9d0e1f2a3b4c5d', NO_ROLE, 'Deployer', ' '] } });
  expect(q).toMatchObject({ groupBy: 'role', filters: { role: ['Deployer', 'AWSReservedSSO_AdministratorAccess_8c9d0e1f2a3b4c5d', '(none)'] } });
  expect(withoutDefaults(q)).toEqual({ groupBy: 'role', filters: q.filters });
  // One value as a plain string, as for every filter.
  expect(resolveQuery({ filters: { role: 'Deployer' } }).filters).toEqual({ role: ['Deployer'] });
  expect(() => resolveQuery({ filters: { role: [7] } })).toThrow(new QueryError('filters.role[0]', 'must be a string'));
  // A letter off a filter's name: the one meant is named after the list.
  const notAFilter = /^filters\.roles: is not a filter; use one of .*identityType, role, permissionSet, eventCategory \(did you mean role\?\)$/;
  expect(() => resolveQuery({ filters: { roles: ['Deployer'] } })).toThrow(notAFilter);
});

test('permissionSet is a way to group and a filter with a value list: a permission set by its name, "(none)" a value like any other', () => {
  expect(GROUP_BYS).toContain('permissionSet');
  expect(DIMENSIONS).toContain('permissionSet');
  const q = resolveQuery({ groupBy: 'permissionSet', filters: { permissionSet: ['AdministratorAccess', NO_PERMISSION_SET, 'AdministratorAccess'] } });
  expect(q).toMatchObject({ groupBy: 'permissionSet', filters: { permissionSet: ['AdministratorAccess', '(none)'] } });
  expect(withoutDefaults(q)).toEqual({ groupBy: 'permissionSet', filters: q.filters });
  expect(() => resolveQuery({ filters: { permissionSet: [1] } })).toThrow(new QueryError('filters.permissionSet[0]', 'must be a string'));
  expect(() => resolveQuery({ groupBy: 'permissionSets' })).toThrow(/^groupBy: "permissionSets" is not one of .* \(did you mean permissionSet\?\)$/);
  // Nothing near: the list alone.
  expect(() => resolveQuery({ groupBy: 'colour' })).toThrow(/^groupBy: "colour" is not one of [^(]*$/);
});

test('eventCategory is a way to group and a filter with a value list: management events only, data events only, "(unknown)"', () => {
  expect(GROUP_BYS).toContain('eventCategory');
  expect(DIMENSIONS).toContain('eventCategory');
  const q = resolveQuery({ groupBy: 'eventCategory', filters: { eventCategory: 'Management' } });
  expect(q).toMatchObject({ groupBy: 'eventCategory', filters: { eventCategory: ['Management'] } });
  expect(withoutDefaults(q)).toEqual({ groupBy: 'eventCategory', filters: { eventCategory: ['Management'] } });
  expect(resolveQuery({ filters: { eventCategory: ['Data', UNKNOWN_CATEGORY] } }).filters).toEqual({ eventCategory: ['Data', '(unknown)'] });
  expect(() => resolveQuery({ filters: { eventCategory: [true] } })).toThrow(new QueryError('filters.eventCategory[0]', 'must be a string'));
});

test("a filter's values for the editors: one string is a list of it; what is not text (a panel's JSON edited by hand) is left out", () => {
  expect(filterValues('alice')).toEqual(['alice']);
  expect(filterValues(['alice', null, 3, { a: 1 }, 'bob'])).toEqual(['alice', 'bob']);
  for (const odd of [undefined, null, 12, { a: 1 }, true]) expect(filterValues(odd)).toEqual([]);
});
