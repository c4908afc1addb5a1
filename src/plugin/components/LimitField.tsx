// How many rows a report returns: stored when the box is left, the model's default when left empty.
import { EditorField } from '@grafana/plugin-ui';
import { DEFAULT_QUERY, MAX_LIMIT } from '../../model/query';
import type { Query } from '../types';
import { BlurInput } from './BlurInput';

/** A whole number from 1 to MAX_LIMIT, or undefined to use the default. */
export function parseLimit(text: string): number | undefined {
  const n = Number(text.trim());
  if (text.trim() === '' || !Number.isInteger(n) || n < 1) {
    return undefined;
  }
  return Math.min(n, MAX_LIMIT);
}

interface Props {
  id: string;
  tooltip: string;
  query: Query;
  onChange: (query: Query) => void;
}

export function LimitField({ id, tooltip, query, onChange }: Props) {
  return (
    <EditorField label="Limit" htmlFor={id} tooltip={tooltip}>
      <BlurInput
        id={id}
        type="number"
        min={1}
        max={MAX_LIMIT}
        width={10}
        placeholder={String(DEFAULT_QUERY.limit)}
        value={query.limit === undefined ? '' : String(query.limit)}
        onCommit={(text) => {
          const limit = parseLimit(text);
          if (limit !== query.limit) {
            onChange({ ...query, limit });
          }
        }}
      />
    </EditorField>
  );
}
