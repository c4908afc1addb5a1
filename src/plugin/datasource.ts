// The data source: queries run in the backend plugin (so alert rules work); the browser only expands template
// variables, adds a dashboard's ad hoc filters, and offers lookups for the editors and the ad hoc filters.
import {
  CoreApp, LoadingState, type AdHocVariableFilter, type DataQueryError, type DataQueryRequest, type DataQueryResponse,
  type DataSourceGetTagValuesOptions, type DataSourceInstanceSettings, type MetricFindValue, type ScopedVars,
} from '@grafana/data';
import { DataSourceWithBackend, getDataSourceSrv, getTemplateSrv } from '@grafana/runtime';
import { map, of, type Observable } from 'rxjs';
import type { IngestErrors, IngestStatus } from '../model/api';
import { DEFAULT_QUERY, MAX_LIMIT, QueryError, type Dimension, type TimeField } from '../model/query';
import { browserTimeZone, UTC } from '../model/timeZone';
import { adHocKeys, isFilterKey, withAdHocFilters, withApplicableAdHocFilters } from './adHocFilters';
import { annotationSupport } from './annotations';
import { fetchIngestErrors, fetchIngestStatus, fetchTrails, fetchValues, startBackfill } from './resources';
import { expandQuery, expandValue } from './templateVariables';
import type { BackfillAnswer, Options, Query, ValueCount, ValuesRequest } from './types';
import { TrailhoundVariableSupport } from './variables';

/** How many groups a new alert rule's query keeps, so how many alert instances it can have: the provisioned rules' number. */
const ALERT_RULE_LIMIT = 1000;

export class DataSource extends DataSourceWithBackend<Query, Options> {
  constructor(instanceSettings: DataSourceInstanceSettings<Options>) {
    super(instanceSettings);
    this.variables = new TrailhoundVariableSupport(this);
    this.annotations = annotationSupport;
  }

  getDefaultQuery(app: CoreApp): Partial<Query> {
    // Filters and resource id stay unset: an empty query reads as "every event".
    const { queryType, format, groupBy, aggregate, status, readOnly, mfa, timeField, serviceCalls, limit } = DEFAULT_QUERY;
    const query = { queryType, format, groupBy, aggregate, status, readOnly, mfa, timeField, serviceCalls, limit };
    if (app === CoreApp.UnifiedAlerting) {
      // As the provisioned rules: by arrival, as events come 5-20 minutes late and by event time would be older than the
      // window when stored; one instance per user in each account (labels user, account); a limit that keeps them all.
      return { ...query, timeField: 'arrival', groupBy: 'userAndAccount', limit: ALERT_RULE_LIMIT };
    }
    return query;
  }

  filterQuery(query: Query): boolean {
    return !query.hide;
  }

  /** Variables expanded, then the dashboard's ad hoc filters added (adHocFilters.ts); throws QueryError for one it cannot apply. */
  applyTemplateVariables(query: Query, scopedVars: ScopedVars, filters?: AdHocVariableFilter[]): Query {
    return withAdHocFilters(expandQuery(query, getTemplateSrv(), scopedVars), filters);
  }

  /**
   * The queries as applyTemplateVariables sends them, for Explore (a panel's "Explore"), which has neither the
   * dashboard's variables nor its ad hoc filters. An ad hoc filter the query cannot take (=~, <, …) is left out, the
   * others kept: a panel refuses such a query, as it would silently show more than the dashboard says, but Explore
   * shows the query in its editor, so what it filters on is in view, and refusing would leave Explore nothing to open.
   * What was left out, and why, goes with the query (adHocLeftOut) for its editor to say: Explore's results have no
   * place for a query's notice.
   */
  interpolateVariablesInQueries(queries: Query[], scopedVars: ScopedVars, filters?: AdHocVariableFilter[]): Query[] {
    return queries.map(({ adHocLeftOut: _earlier, ...query }) => {
      const { query: filtered, leftOut } = withApplicableAdHocFilters(expandQuery(query, getTemplateSrv(), scopedVars), filters);
      // This data source's own ref, also for a query naming it by a variable ($ds), which Explore does not have.
      const opened = { ...filtered, datasource: this.getRef() };
      return leftOut.length > 0 ? { ...opened, adHocLeftOut: [...new Set(leftOut.map((left) => left.reason))] } : opened;
    });
  }

  /**
   * A query whose ad hoc filters cannot be applied (a regular expression …) answers with its own error, as the backend
   * answers an invalid query, and is not sent: run without the filter, it would show more than the dashboard says.
   * The panel's other queries still run.
   */
  query(request: DataQueryRequest<Query>): Observable<DataQueryResponse> {
    // Another data source's query (an expression, a mixed panel's) is left as it is, as DataSourceWithBackend leaves it.
    const ours = (target: Query) => !target.datasource || getDataSourceSrv().getInstanceSettings(target.datasource, request.scopedVars)?.uid === this.uid;
    // Day and hour buckets are the dashboard's days and hours: its time zone goes with each query, not saved in it, so an
    // alert rule, which has no dashboard, counts UTC days.
    // A hidden query is neither sent nor checked: its filters cannot fail the panel. Older DataSourceWithBackends left
    // it out themselves (filterQuery); 13.1.1's leaves that to Grafana's query runner, so it is done here too.
    request = { ...request, targets: request.targets.filter((target) => !ours(target) || this.filterQuery(target)) };
    const timeZone = browserTimeZone(request.timezone);
    if (timeZone !== UTC) {
      request = { ...request, targets: request.targets.map((target) => (ours(target) ? { ...target, timeZone } : target)) };
    }
    const refused: DataQueryError[] = [];
    for (const target of request.targets) {
      if (!ours(target)) {
        continue;
      }
      try {
        this.applyTemplateVariables(target, request.scopedVars, request.filters);
      } catch (err) {
        if (!(err instanceof QueryError)) {
          throw err;
        }
        refused.push({ refId: target.refId, message: `invalid query: ${err.message}`, status: 400 });
      }
    }
    if (refused.length === 0) {
      return super.query(request);
    }
    const targets = request.targets.filter((t) => !refused.some((r) => r.refId === t.refId));
    const answers = targets.length > 0 ? super.query({ ...request, targets }) : of<DataQueryResponse>({ data: [] });
    // As toDataQueryResponse reports the backend's errors: each in `errors`, the first in `error`, the state Error.
    return answers.pipe(
      map((answer) => ({ ...answer, state: LoadingState.Error, error: answer.error ?? refused[0], errors: [...(answer.errors ?? []), ...refused] }))
    );
  }

  /** Ad hoc filters' keys: the editor's filter fields. */
  async getTagKeys(): Promise<MetricFindValue[]> {
    return adHocKeys();
  }

  /**
   * Ad hoc filters' values: the key's value list in the dashboard's time range, by event time (the variable belongs
   * to no one query to take a time field from), of the events the dashboard's other ad hoc filters keep, as a query
   * would apply them (= and =| narrow, != and !=| leave out). The key's own filters are not applied, so that its other
   * values stay to pick; one that no query could take (=~ …) is left out, as the panels refuse it and say so. Every
   * value the service gives, as a query variable's list, for Grafana searches the list it is given; most frequent first.
   */
  async getTagValues(options: DataSourceGetTagValuesOptions<Query>): Promise<MetricFindValue[]> {
    if (!isFilterKey(options.key)) {
      return [];
    }
    const others = (options.filters ?? []).filter((filter) => filter.key !== options.key);
    const { query: narrowed } = withApplicableAdHocFilters({ refId: 'values', queryType: 'events' }, others);
    const range = options.timeRange;
    const request = { from: range?.from.valueOf(), to: range?.to.valueOf(), limit: MAX_LIMIT, filters: narrowed.filters, exclude: narrowed.exclude };
    const values = await this.values(options.key, request);
    return values.map(({ value }) => ({ text: value, value }));
  }

  /**
   * Distinct values of a dimension. A time field taken from a dashboard variable ($timeField) is expanded first, as
   * in a query (a multi-value variable gives its first value), so the lists follow the dashboard's choice.
   */
  values(dimension: Dimension, request: ValuesRequest = {}, scopedVars?: ScopedVars): Promise<ValueCount[]> {
    // What is not text (a variable's JSON edited by hand) goes on as it is, for the service to refuse in words.
    const timeField =
      typeof request.timeField === 'string' ? (expandValue(request.timeField, getTemplateSrv(), scopedVars)[0] as TimeField | undefined) : request.timeField;
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
