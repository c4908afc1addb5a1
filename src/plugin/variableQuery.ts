// A query variable's stored query: which dimension it lists, and the default a new variable starts from.
import type { VariableQuery } from './types';

export const DEFAULT_VARIABLE_QUERY: VariableQuery = { refId: 'variable', dimension: 'user', search: '' };

/**
 * The stored variable query, or the default for a new variable: one without a dimension (a new variable, an old
 * dashboard's plain string, the query of a data source it was changed from). A dimension this plugin does not know (a
 * typo in the JSON, a newer plugin's) is kept, with the rest of the query: the service says what is wrong with it, or,
 * newer than this plugin, answers it; replaced, the variable would list users and the editor would store that over it.
 */
export function variableQueryOf(query: unknown): VariableQuery {
  const q = query as Partial<VariableQuery> | null;
  return typeof q === 'object' && q !== null && q.dimension !== undefined && q.dimension !== null ? (q as VariableQuery) : DEFAULT_VARIABLE_QUERY;
}
