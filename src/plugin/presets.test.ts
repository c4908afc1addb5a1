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

  it('gives every preset a valid query of the shared model', () => {
    for (const search of COMMON_SEARCHES) {
      const q = applyCommonSearch({ refId: 'A' }, search, { instanceId: 'i-1', users: ['u'], ips: ['1.2.3.4'] });
      expect(q.refId).toBe('A');
      // The service's own validation: throws on anything it would answer with a 400.
      expect(resolveQuery(q)).toMatchObject({ queryType: 'events' });
    }
  });
});
