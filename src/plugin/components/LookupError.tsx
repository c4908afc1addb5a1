// Shown above an editor's rows when a field's value lookup fails: the controls still work, but its list has no
// suggestions. It names the field, as it stays until that field's lookup works (useValueLookup).
// The error says why in the service's or the backend's words (unreachable, token refused, upgrading its database …),
// so the title claims no cause of its own: a service that is upgrading was reached.
import { Alert } from '@grafana/ui';
import { FILTER_LABELS } from './labels';
import type { LookupFailure } from './useValueLookup';

export function LookupError({ error }: { error?: LookupFailure }) {
  if (!error) {
    return null;
  }
  return (
    <Alert severity="warning" title="Value suggestions are unavailable">
      The {FILTER_LABELS[error.dimension]} lookup failed: {error.message.replace(/\.$/, '')}. The fields still take typed values and dashboard
      variables; Save &amp; test on the data source&apos;s settings page says more.
    </Alert>
  );
}
