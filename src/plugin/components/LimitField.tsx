// How many rows a report returns: stored when the box is left, the model's default (the report's own) when left empty.
import { defaultLimit, MAX_LIMIT } from '../../model/query';
import type { Query } from '../types';
import { parseWholeNumber, WholeNumberField } from './WholeNumberField';

/** A whole number from 1 to MAX_LIMIT, or undefined to use the default. */
export const parseLimit = (text: string): number | undefined => parseWholeNumber(text, MAX_LIMIT);

/**
 * `query` switched to another report or view (`changes`): a limit at the old one's default, as a new query has it (the
 * data source's default query sets 20), gives way to the new one's, so the unreadable files list their 100.
 */
export function withChoice(query: Query, changes: Pick<Query, 'queryType' | 'ingestView'>): Query {
  const next = { ...query, ...changes };
  return query.limit === defaultLimit(query) && defaultLimit(next) !== defaultLimit(query) ? { ...next, limit: undefined } : next;
}

interface Props {
  id: string;
  tooltip: string;
  query: Query;
  onChange: (query: Query) => void;
}

export function LimitField({ id, tooltip, query, onChange }: Props) {
  return (
    <WholeNumberField
      id={id}
      label="Limit"
      tooltip={tooltip}
      max={MAX_LIMIT}
      placeholder={String(defaultLimit(query))}
      value={query.limit}
      onChange={(limit) => onChange({ ...query, limit })}
    />
  );
}
