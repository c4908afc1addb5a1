// Shown above an editor's rows when value lookups fail: the controls still work, but the lists have no suggestions.
// The error says why in the service's or the backend's words (unreachable, token refused, upgrading its database …),
// so the title claims no cause of its own: a service that is upgrading was reached.
import { Alert } from '@grafana/ui';

export function LookupError({ error }: { error?: string }) {
  if (!error) {
    return null;
  }
  return (
    <Alert severity="warning" title="Value suggestions are unavailable">
      The lookup failed: {error.replace(/\.$/, '')}. The fields still take typed values and dashboard variables; Save &amp; test on the data
      source&apos;s settings page says more.
    </Alert>
  );
}
