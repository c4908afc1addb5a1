import { COMMON_SEARCHES, commonSearch } from '../model/commonSearches';
import { resolveQuery } from '../model/query';
import { applyCommonSearch } from './presets';

describe('applyCommonSearch', () => {
  const current = {
    refId: 'A',
    hide: false,
    format: 'list' as const,
    limit: 200,
    timeField: 'arrival' as const,
    status: 'error' as const,
    readOnly: 'write' as const,
    groupBy: 'region' as const,
    resourceId: 'old',
    filters: { region: ['eu-west-1'] },
    exclude: { eventName: ['HeadBucket'], sourceIp: ['delivery.logs.amazonaws.com'] },
  };

  it('replaces what narrows the events and keeps how they are shown', () => {
    expect(applyCommonSearch(current, commonSearch('users-activity')!, { users: ['alice'] })).toEqual({
      refId: 'A',
      hide: false,
      format: 'list',
      limit: 200,
      timeField: 'arrival',
      queryType: 'events',
      groupBy: 'user',
      filters: { user: ['alice'] },
    });
  });

  it("keeps a time series' Aggregate and Peak window: they decide a bucket's value, not which events count", () => {
    const series = { refId: 'A', format: 'timeseries' as const, aggregate: 'hour' as const, peakWindow: 5 };
    for (const search of COMMON_SEARCHES) {
      const applied = applyCommonSearch(series, search, { users: ['alice'], ips: ['1.2.3.4'] });
      expect(applied).toMatchObject({ format: 'timeseries', aggregate: 'hour', peakWindow: 5 });
    }
  });

  it("clears the user's exclusions, as it does the filters, for every preset", () => {
    for (const search of COMMON_SEARCHES) {
      expect(applyCommonSearch(current, search, { users: ['alice'], ips: ['1.2.3.4'] })).not.toHaveProperty('exclude');
    }
  });

  it('sets the exclusions of a preset that has its own, in place of the user\'s', () => {
    const own = { queryType: 'events' as const, status: 'unauthorized' as const, exclude: { eventName: ['HeadObject'] } };
    const quiet = { ...commonSearch('unauthorized')!, query: () => own };
    expect(applyCommonSearch(current, quiet, {})).toMatchObject({ status: 'unauthorized', exclude: { eventName: ['HeadObject'] } });
  });

  it('gives every preset a valid query of the shared model', () => {
    for (const search of COMMON_SEARCHES) {
      const q = applyCommonSearch({ refId: 'A' }, search, { instanceId: 'i-1', users: ['u'], ips: ['1.2.3.4'] });
      expect(q.refId).toBe('A');
      // The service's own validation: throws on anything it would answer with a 400.
      expect(resolveQuery(q)).toMatchObject({ queryType: 'events' });
    }
  });
});
