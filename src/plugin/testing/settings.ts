// Minimal instance settings for constructing the DataSource in tests.
import type { DataSourceInstanceSettings } from '@grafana/data';
import type { Options } from '../types';

export function instanceSettings(overrides: Partial<DataSourceInstanceSettings<Options>> = {}): DataSourceInstanceSettings<Options> {
  return {
    id: 1,
    uid: 'trailhound-uid',
    type: 'trailhound-cloudtrail-datasource',
    name: 'Trailhound',
    access: 'proxy',
    readOnly: false,
    jsonData: { url: 'http://127.0.0.1:7480' },
    meta: { id: 'trailhound-cloudtrail-datasource', name: 'Trailhound' } as DataSourceInstanceSettings<Options>['meta'],
    ...overrides,
  };
}
