// Query variables: the distinct values of one dimension (region, user, …) within the dashboard's time range.
import { CustomVariableSupport, FieldType, createDataFrame, type DataQueryRequest, type DataQueryResponse } from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import { from, type Observable } from 'rxjs';
import { MAX_LIMIT } from '../model/query';
import type { DataSource } from './datasource';
import { VariableQueryEditor } from './components/VariableQueryEditor';
import type { VariableQuery } from './types';
import { variableQueryOf } from './variableQuery';

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
    // The search text may itself use other variables (chained variables).
    const q = getTemplateSrv().replace(target.search ?? '', request.scopedVars);
    const values = await this.datasource.values(target.dimension, {
      from: request.range.from.valueOf(),
      to: request.range.to.valueOf(),
      q,
      // Every value the service gives, not its top-100 default: a multi-value variable's "All" is the list of its
      // options, so a shortened list would silently narrow every query that uses it.
      limit: MAX_LIMIT,
    });
    // Grafana takes a frame's "text" field as the variable's options.
    const frame = createDataFrame({
      refId: target.refId,
      fields: [{ name: 'text', type: FieldType.string, values: values.map((v) => v.value) }],
    });
    return { data: [frame] };
  }
}
