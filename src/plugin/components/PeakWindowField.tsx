// The peak window (peakWindow, minutes): empty for plain counts.
import { PEAK_WINDOW } from '../../model/query';
import type { Query } from '../types';
import { WholeNumberField } from './WholeNumberField';

export const PEAK_WINDOW_TOOLTIP =
  'Count bursts instead of totals: for the events of each bucket, the most events of one group made within this many ' +
  'minutes of each other (by when they were made, whenever they were stored). Events stored at once after an outage ' +
  'then count only as close together as they happened. Empty: plain counts.';

interface Props {
  id: string;
  query: Query;
  onChange: (query: Query) => void;
}

export function PeakWindowField({ id, query, onChange }: Props) {
  return (
    <WholeNumberField
      id={id}
      label="Peak window (min)"
      tooltip={PEAK_WINDOW_TOOLTIP}
      max={PEAK_WINDOW.max}
      placeholder="off"
      // 0 is plain counts too: the box shows it empty.
      value={query.peakWindow || undefined}
      onChange={(peakWindow) => onChange({ ...query, peakWindow })}
    />
  );
}
