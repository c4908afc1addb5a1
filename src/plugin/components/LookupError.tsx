// Shown above an editor's rows when value lookups fail: the controls still work, but the service did not answer.
import { Alert } from '@grafana/ui';

export function LookupError({ error }: { error?: string }) {
  if (!error) {
    return null;
  }
  return (
    <Alert severity="warning" title="The Trailhound service could not be reached">
      Value lookups failed: {error}. Check that <code>trailhound serve</code> is running and that the data
      source&apos;s Service URL and token are right (Save &amp; test on its settings page).
    </Alert>
  );
}
