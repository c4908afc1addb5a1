// Query variables: the distinct values of one dimension (region, user, …) within the dashboard's time range.
import { CustomVariableSupport, FieldType, createDataFrame, type DataQueryRequest, type DataQueryResponse } from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import { from, type Observable } from 'rxjs';
import { clipped } from '../model/clipped';
import { MAX_LIMIT } from '../model/query';
import type { DataSource } from './datasource';
import { VariableQueryEditor } from './components/VariableQueryEditor';
import type { VariableQuery } from './types';
import { expandValue } from './templateVariables';
import { variableQueryOf } from './variableQuery';

const MAX_SEARCHES = 20;

export class TrailhoundVariableSupport extends CustomVariableSupport<DataSource, VariableQuery> {
  constructor(private readonly datasource: DataSource) {
    super();
  }

  editor = VariableQueryEditor;

  query(request: DataQueryRequest<VariableQuery>): Observable<DataQueryResponse> {
    return from(this.values(request));
  }

  private async values(request: DataQueryRequest<VariableQuery>): Promise<DataQueryResponse> {
    const target = variableQueryOf(request.targets[0]);
    // Only a variable's JSON edited by hand holds anything else; Grafana's replace() would throw a bare TypeError, and
    // a dimension would be asked for as "[object Object]".
    if (typeof target.dimension !== 'string') {
      throw new Error(`This variable's "Values of" is ${savedJson(target.dimension)} in its saved JSON, not text: open the variable and choose what it lists.`);
    }
    if (target.search !== undefined && typeof target.search !== 'string') {
      throw new Error(`This variable's "Containing" is ${savedJson(target.search)} in its saved JSON, not text: open the variable and type the search again.`);
    }
    // The search text may itself use other variables (chained variables); a multi-value one gives one search per
    // selected value, and the options are all their answers. Past MAX_SEARCHES (a parent's "All" without an "All
    // value"), one unnarrowed lookup instead of a request per value. The time field may be a variable too ($timeField):
    // the data source expands it.
    const searches = expandValue(target.search ?? '', getTemplateSrv(), request.scopedVars);
    const answers = await Promise.all(
      (searches.length > 0 && searches.length <= MAX_SEARCHES ? searches : ['']).map((q) =>
        this.datasource.values(
          target.dimension,
          {
            from: request.range.from.valueOf(),
            to: request.range.to.valueOf(),
            q,
            // Every value the service gives, not its top-100 default: a multi-value variable's "All" is the list of
            // its options, so a shortened list would silently narrow every query that uses it.
            limit: MAX_LIMIT,
            timeField: target.timeField,
          },
          request.scopedVars
        )
      )
    );
    const values = [...new Set(answers.flat().map((v) => v.value))];
    // Grafana takes a frame's "text" field as the variable's options.
    const frame = createDataFrame({
      refId: target.refId,
      fields: [{ name: 'text', type: FieldType.string, values }],
    });
    return { data: [frame] };
  }
}

/** A saved value as its JSON shows it, shortened. */
function savedJson(value: unknown): string {
  return clipped(JSON.stringify(value), 60);
}
