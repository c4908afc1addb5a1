// The data source: queries run in the backend plugin (so alert rules work); the browser only expands template
// variables and offers lookups for the editors.
import type { CoreApp, DataSourceInstanceSettings, ScopedVars } from '@grafana/data';
import { DataSourceWithBackend, getTemplateSrv } from '@grafana/runtime';
import type { IngestErrors, IngestStatus } from '../model/api';
import { DEFAULT_QUERY, type Dimension, type TimeField } from '../model/query';
import { annotationSupport } from './annotations';
import { fetchIngestErrors, fetchIngestStatus, fetchTrails, fetchValues, startBackfill } from './resources';
import { expandQuery, expandValue } from './templateVariables';
import type { BackfillAnswer, Options, Query, ValueCount, ValuesRequest } from './types';
import { TrailhoundVariableSupport } from './variables';

export class DataSource extends DataSourceWithBackend<Query, Options> {
  constructor(instanceSettings: DataSourceInstanceSettings<Options>) {
    super(instanceSettings);
    this.variables = new TrailhoundVariableSupport(this);
    this.annotations = annotationSupport;
  }

  getDefaultQuery(_app: CoreApp): Partial<Query> {
    // Filters and resource id stay unset: an empty query reads as "every event".
    const { queryType, format, groupBy, aggregate, status, readOnly, mfa, timeField, serviceCalls, limit } = DEFAULT_QUERY;
    return { queryType, format, groupBy, aggregate, status, readOnly, mfa, timeField, serviceCalls, limit };
  }

  filterQuery(query: Query): boolean {
    return !query.hide;
  }

  applyTemplateVariables(query: Query, scopedVars: ScopedVars): Query {
    return expandQuery(query, getTemplateSrv(), scopedVars);
  }

  /**
   * Distinct values of a dimension. A time field taken from a dashboard variable ($timeField) is expanded first, as
   * in a query (a multi-value variable gives its first value), so the lists follow the dashboard's choice.
   */
  values(dimension: Dimension, request: ValuesRequest = {}, scopedVars?: ScopedVars): Promise<ValueCount[]> {
    const timeField = request.timeField && (expandValue(request.timeField, getTemplateSrv(), scopedVars)[0] as TimeField | undefined);
    return fetchValues(this, dimension, { ...request, timeField });
  }

  trails(): Promise<Array<Record<string, unknown>>> {
    return fetchTrails(this);
  }

  ingestStatus(): Promise<IngestStatus> {
    return fetchIngestStatus(this);
  }

  ingestErrors(limit: number): Promise<IngestErrors> {
    return fetchIngestErrors(this, limit);
  }

  backfill(days: number): Promise<BackfillAnswer> {
    return startBackfill(this, days);
  }
}
