// A box for a whole number of the model (a limit, a peak window): stored when the box is left, the model's default
// when left empty or not a number it takes.
import { EditorField } from '@grafana/plugin-ui';
import { wholeDecimalNumber } from '../../model/decimal';
import { BlurInput } from './BlurInput';

/** A whole number from 1 to max (a larger one is max), or undefined to use the default. */
export function parseWholeNumber(text: string, max: number): number | undefined {
  const n = wholeDecimalNumber(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 1) {
    return undefined;
  }
  return Math.min(n, max);
}

interface Props {
  id: string;
  label: string;
  tooltip: string;
  max: number;
  /** Shown in the empty box: what the model does without a value. */
  placeholder: string;
  value: number | undefined;
  onChange: (value: number | undefined) => void;
}

export function WholeNumberField({ id, label, tooltip, max, placeholder, value, onChange }: Props) {
  return (
    <EditorField label={label} htmlFor={id} tooltip={tooltip}>
      <BlurInput
        id={id}
        // Text, not type="number": a number box reports what it cannot read (1e400, "12 min" in Firefox) as empty and
        // keeps showing it, so the box would show what the query does not use; as text, leaving it shows what it took.
        inputMode="numeric"
        width={10}
        placeholder={placeholder}
        value={value === undefined ? '' : String(value)}
        onCommit={(text) => {
          const parsed = parseWholeNumber(text, max);
          if (parsed !== value) {
            onChange(parsed);
          }
        }}
      />
    </EditorField>
  );
}
