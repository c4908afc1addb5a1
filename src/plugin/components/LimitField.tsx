// How many rows a report returns: stored when the box is left, the model's default when left empty.
import { DEFAULT_QUERY, MAX_LIMIT } from '../../model/query';
import type { Query } from '../types';
import { parseWholeNumber, WholeNumberField } from './WholeNumberField';

/** A whole number from 1 to MAX_LIMIT, or undefined to use the default. */
export const parseLimit = (text: string): number | undefined => parseWholeNumber(text, MAX_LIMIT);

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
      placeholder={String(DEFAULT_QUERY.limit)}
      value={query.limit}
      onChange={(limit) => onChange({ ...query, limit })}
    />
  );
}
