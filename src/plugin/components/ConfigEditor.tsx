// Data source settings: where the Trailhound service listens and its bearer token. Grafana's own
// "Save & test" runs the backend's health check; below it, the service's ingestion status once saved.
import { OrgRole, type DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { ConfigSection } from '@grafana/plugin-ui';
import { config } from '@grafana/runtime';
import { Field, Input, SecretInput } from '@grafana/ui';
import { useEffect } from 'react';
import { DEFAULT_URL, type Options, type SecureOptions } from '../types';
import { IngestionPanel } from './IngestionPanel';
import { useSavedDataSource } from './useSavedDataSource';

type Props = DataSourcePluginOptionsEditorProps<Options, SecureOptions>;

export function ConfigEditor({ options, onOptionsChange }: Props) {
  const { jsonData, secureJsonFields, secureJsonData } = options;

  // Store where the service is explicitly, so the backend and the form agree: the backend falls back to the data
  // source's own URL (a provisioned "url:"), then to the default, and the form takes the same order.
  useEffect(() => {
    if (jsonData.url === undefined) {
      onOptionsChange({ ...options, jsonData: { ...jsonData, url: options.url?.trim() || DEFAULT_URL } });
    }
  }, [jsonData, onOptionsChange, options]);

  const saved = useSavedDataSource(options.uid);

  return (
    <>
      <ConfigSection title="Trailhound service" description="The service that ingests CloudTrail logs and answers report queries (trailhound serve).">
        <Field label="Service URL" description={`Where trailhound serve listens; default ${DEFAULT_URL}`} required>
          <Input
            id="trailhound-url"
            width={50}
            placeholder={DEFAULT_URL}
            value={jsonData.url ?? ''}
            onChange={(e) => onOptionsChange({ ...options, jsonData: { ...jsonData, url: e.currentTarget.value.trim() } })}
          />
        </Field>
        <Field label="Token" description="The service's bearer token: TRAILHOUND_TOKEN, or the token file in its data folder" required>
          <SecretInput
            id="trailhound-token"
            width={50}
            placeholder="Bearer token"
            isConfigured={Boolean(secureJsonFields?.token)}
            value={secureJsonData?.token ?? ''}
            onChange={(e) => onOptionsChange({ ...options, secureJsonData: { ...secureJsonData, token: e.currentTarget.value } })}
            // Reset forgets the stored token: Grafana deletes it on save when the field is unset and not configured.
            onReset={() =>
              onOptionsChange({
                ...options,
                secureJsonFields: { ...secureJsonFields, token: false },
                secureJsonData: { ...secureJsonData, token: '' },
              })
            }
          />
        </Field>
      </ConfigSection>
      {saved.datasource && <IngestionPanel datasource={saved.datasource} canBackfill={config.bootData.user.orgRole === OrgRole.Admin} />}
    </>
  );
}
