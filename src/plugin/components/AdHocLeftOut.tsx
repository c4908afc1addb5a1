// Shown above the editor's rows of a query Explore opened from a dashboard without some of its ad hoc filters (those
// no query can take, such as a regular expression): its results are wider than the dashboard's panel, which refuses
// the filter. It stays until dismissed; dismissing changes only the note, so the query does not run again.
import { Alert } from '@grafana/ui';
import type { Query } from '../types';

export function AdHocLeftOut({ query, onChange }: { query: Query; onChange: (query: Query) => void }) {
  if (!query.adHocLeftOut?.length) {
    return null;
  }
  const dismiss = () => {
    const { adHocLeftOut: _dismissed, ...rest } = query;
    onChange(rest);
  };
  return (
    <Alert severity="warning" title="Opened without some of the dashboard's ad hoc filters" onRemove={dismiss}>
      This query shows more than the dashboard&apos;s panel would: Trailhound cannot apply these, so they are left out.
      <ul>
        {query.adHocLeftOut.map((reason) => (
          <li key={reason}>{reason}</li>
        ))}
      </ul>
    </Alert>
  );
}
