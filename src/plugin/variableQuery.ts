// A query variable's stored query: which dimension it lists, and the default a new variable starts from.
import { isDimension } from '../model/query';
import type { VariableQuery } from './types';

export const DEFAULT_VARIABLE_QUERY: VariableQuery = { refId: 'variable', dimension: 'user', search: '' };

/** The stored variable query, or the default for a new variable (or an old dashboard's plain string). */
export function variableQueryOf(query: unknown): VariableQuery {
  const q = query as Partial<VariableQuery> | null;
  return typeof q === 'object' && q !== null && typeof q.dimension === 'string' && isDimension(q.dimension) ? (q as VariableQuery) : DEFAULT_VARIABLE_QUERY;
}
