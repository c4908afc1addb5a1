// A dashboard's ad hoc filters as conditions on a query: each one more AND, as Grafana's SQL data sources add them to a
// WHERE clause. The merged queries are checked against the model's own reading of them (resolveQuery).
import type { AdHocVariableFilter } from '@grafana/data';
import { QueryError, resolveQuery } from '../model/query';
import { adHocKeys, takesFilters, withAdHocFilters } from './adHocFilters';
import { FILTER_LABELS } from './components/labels';
import type { Query } from './types';

const is = (key: string, value: string): AdHocVariableFilter => ({ key, operator: '=', value });
const isNot = (key: string, value: string): AdHocVariableFilter => ({ key, operator: '!=', value });
const oneOf = (key: string, values: string[]): AdHocVariableFilter => ({ key, operator: '=|', value: values[0], values });
const noneOf = (key: string, values: string[]): AdHocVariableFilter => ({ key, operator: '!=|', value: values[0], values });

/** The users an event of each user would count under the query: how the service reads filters and exclusions. */
function usersCounted(query: Query, users: string[]): string[] {
  const { filters, exclude } = resolveQuery(query);
  return users.filter((u) => (!filters.user || filters.user.includes(u)) && !exclude.user?.includes(u));
}

describe('adHocKeys', () => {
  it('offers every filter of the model, by the label the editor shows, its key as the value', () => {
    const keys = adHocKeys();
    expect(keys.map((k) => k.value)).toEqual(Object.keys(FILTER_LABELS));
    expect(keys).toContainEqual({ text: 'IP address', value: 'sourceIp' });
    expect(keys).toContainEqual({ text: 'Event name', value: 'eventName' });
  });
});

describe('withAdHocFilters', () => {
  const events: Query = { refId: 'A', queryType: 'events', groupBy: 'user' };

  it('adds = to the filters, != to the exclusions', () => {
    expect(withAdHocFilters(events, [is('user', 'alice'), isNot('region', 'us-east-1')])).toEqual({
      ...events,
      filters: { user: ['alice'] },
      exclude: { region: ['us-east-1'] },
    });
  });

  it('takes Grafana\'s "one of" and "not one of" (=| and !=|) as lists of values', () => {
    expect(withAdHocFilters(events, [oneOf('eventName', ['RunInstances', 'StopInstances']), noneOf('user', ['root', 'admin'])])).toMatchObject({
      filters: { eventName: ['RunInstances', 'StopInstances'] },
      exclude: { user: ['root', 'admin'] },
    });
    // Without `values` (an older dashboard), the one value.
    expect(withAdHocFilters(events, [{ key: 'user', operator: '=|', value: 'alice' }]).filters).toEqual({ user: ['alice'] });
  });

  it('narrows what the query already filters on to the values in both: ANDed, not ORed', () => {
    const query: Query = { ...events, filters: { user: ['alice', 'bob'], region: ['eu-west-1'] } };
    const merged = withAdHocFilters(query, [is('user', 'bob')]);
    expect(merged.filters).toEqual({ user: ['bob'], region: ['eu-west-1'] });
    expect(usersCounted(merged, ['alice', 'bob', 'carol'])).toEqual(['bob']);
    expect(usersCounted(withAdHocFilters(query, [oneOf('user', ['bob', 'carol'])]), ['alice', 'bob', 'carol'])).toEqual(['bob']);
  });

  it('a panel filtering user a under an ad hoc user = b counts no one, neither a nor b', () => {
    const query: Query = { ...events, filters: { user: ['alice'] } };
    for (const merged of [withAdHocFilters(query, [is('user', 'bob')]), withAdHocFilters(events, [is('user', 'alice'), is('user', 'bob')])]) {
      expect(usersCounted(merged, ['alice', 'bob', 'carol'])).toEqual([]);
      // Still a query the model takes (an empty list would have meant every user).
      expect(resolveQuery(merged).filters.user).not.toHaveLength(0);
    }
    // Nothing stays nothing under a later filter on the same key.
    const later = withAdHocFilters(query, [is('user', 'bob'), oneOf('user', ['alice', 'bob'])]);
    expect(usersCounted(later, ['alice', 'bob', 'carol'])).toEqual([]);
  });

  it('adds exclusions to the query\'s own, and leaves out a value the query keeps', () => {
    const query: Query = { ...events, filters: { user: ['alice', 'bob'] }, exclude: { user: ['carol'], eventName: ['HeadBucket'] } };
    const merged = withAdHocFilters(query, [noneOf('user', ['bob', 'dave'])]);
    expect(merged.exclude).toEqual({ user: ['carol', 'bob', 'dave'], eventName: ['HeadBucket'] });
    expect(usersCounted(merged, ['alice', 'bob', 'carol', 'dave'])).toEqual(['alice']);
  });

  it('a key the query lists nothing for (a variable at "All" with a blank all value) is not narrowed by it', () => {
    const query: Query = { ...events, filters: { user: [] }, exclude: { role: [] } };
    expect(withAdHocFilters(query, [is('user', 'bob')])).toMatchObject({ filters: { user: ['bob'] }, exclude: {} });
  });

  it('applies to summary totals, and to a query that leaves its type to the default (events)', () => {
    expect(withAdHocFilters({ refId: 'A', queryType: 'totals' }, [is('user', 'bob')]).filters).toEqual({ user: ['bob'] });
    expect(withAdHocFilters({ refId: 'A' }, [is('user', 'bob')]).filters).toEqual({ user: ['bob'] });
  });

  it('leaves the trails list and the ingestion reports as they are, whatever the filters', () => {
    for (const queryType of ['trails', 'ingest'] as const) {
      const query: Query = { refId: 'A', queryType };
      expect(takesFilters(query)).toBe(false);
      expect(withAdHocFilters(query, [is('user', 'bob'), { key: 'user', operator: '=~', value: 'b.*' }])).toBe(query);
    }
  });

  it('leaves a query without ad hoc filters as it is', () => {
    expect(withAdHocFilters(events, undefined)).toBe(events);
    expect(withAdHocFilters(events, [])).toBe(events);
  });

  it('refuses regular expressions and comparisons with a QueryError naming the filter, rather than dropping them', () => {
    for (const operator of ['=~', '!~', '<', '>']) {
      const run = () => withAdHocFilters(events, [is('user', 'bob'), { key: 'user', operator, value: 'adm' }]);
      expect(run).toThrow(QueryError);
      expect(run).toThrow(`ad hoc filter "user ${operator} adm": ${operator} is not supported: Trailhound matches whole values`);
    }
  });

  it('refuses a key that is no filter of the model, and a filter without a value', () => {
    expect(() => withAdHocFilters(events, [is('userName', 'bob')])).toThrow('"userName" is not a Trailhound filter; use one of region, service');
    expect(() => withAdHocFilters(events, [is('user', ' ')])).toThrow('has no value');
    expect(() => withAdHocFilters(events, [oneOf('user', ['', ''])])).toThrow('has no value');
  });

  it('keeps a value as given, a trailing space included, as the editor\'s filters do', () => {
    expect(withAdHocFilters(events, [is('user', 'bob ')]).filters).toEqual({ user: ['bob '] });
  });
});
