// The "Time" choice: what the time range applies to, when the calls were made or when Trailhound stored them. The
// Events and Summary totals reports and the annotation editor offer it, and the variable editor for its value lists
// (a dashboard variable such as $timeField too).
import { DEFAULT_QUERY, type TimeField } from '../../model/query';
import { ChoiceField } from './ChoiceField';
import { TIME_FIELD_TOOLTIP, TIME_FIELDS } from './labels';

interface Props {
  id: string;
  /** As stored: unset is the model's default (event time). */
  value: TimeField | undefined;
  onChange: (timeField: TimeField) => void;
}

export function TimeFieldChoice({ id, value, onChange }: Props) {
  return (
    <ChoiceField
      id={id}
      label="Time"
      tooltip={TIME_FIELD_TOOLTIP}
      options={TIME_FIELDS}
      value={value ?? DEFAULT_QUERY.timeField}
      onChange={onChange}
    />
  );
}
