// Data source settings: where the Trailhound service listens, its bearer token and how long a call to it may take. Grafana's own
// "Save & test" runs the backend's health check; below it, the service's ingestion status once saved.
import { OrgRole, type DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { ConfigSection } from '@grafana/plugin-ui';
import { config } from '@grafana/runtime';
import { Field, Input, SecretInput, Text } from '@grafana/ui';
import { useEffect, useState } from 'react';
import { decimalNumber } from '../../model/decimal';
import { DEFAULT_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS, plainHttpHost, serviceUrlProblem, timeoutSeconds } from '../../model/settings';
import { DEFAULT_URL, type Options, type SecureOptions } from '../types';
import { IngestionPanel } from './IngestionPanel';
import { useSavedDataSource } from './useSavedDataSource';

type Props = DataSourcePluginOptionsEditorProps<Options, SecureOptions>;

/** A warning for an http:// URL to a host that is not loopback: the bearer token would cross the network unencrypted. Not a refusal. */
export function plainHttpWarning(url: string): string | undefined {
  const host = plainHttpHost(url);
  return host && `Plain http to ${host}: the token and audit data cross the network unencrypted. Prefer https, or a private network.`;
}

/**
 * Why the backend would refuse a service URL (the rules are parseSettings's, from src/model/settings.ts), said as the
 * user types rather than only by Save & test. Empty is no problem: the backend then uses the default.
 */
export function urlProblem(url: string): string | undefined {
  switch (url === '' ? undefined : serviceUrlProblem(url)) {
    case 'not-a-url':
      return `Not a URL: write it whole, e.g. ${DEFAULT_URL}`;
    case 'not-http':
      return `Start it with http:// or https://, e.g. ${DEFAULT_URL}`;
    case 'credentials':
      return 'Leave out the user name and password (user:password@): the service takes only the token below';
    case 'query':
      return "Leave out the query (?) and fragment (#): each call's path (/api/...) is added at the end";
    default:
      return undefined;
  }
}

/**
 * What the Timeout box stores for its text: nothing when empty (the default applies), a number when the text is one
 * JSON can carry, else the text itself. Grafana saves jsonData as JSON, which writes Infinity (1e400) as null, the
 * default: the box's problem would vanish on save, where as text it stays what was typed and Save & test refuses it.
 */
export function storedTimeout(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const n = decimalNumber(trimmed);
  return Number.isFinite(n) ? n : trimmed;
}

const timeoutText = (value: Options['timeoutSeconds'] | null): string => (value === undefined || value === null ? '' : String(value));

interface TimeoutInputProps {
  invalid: boolean;
  value: Options['timeoutSeconds'] | null;
  onChange: (stored: number | string | undefined) => void;
}

function TimeoutInput({ invalid, value, onChange }: TimeoutInputProps) {
  // Text, not type="number": a number box hides what it cannot read (1e400, or "soon" in Firefox) and reports it as
  // empty, the default. The text typed is shown as typed ("90." on the way to "90.5"); a value changed otherwise
  // (another save loaded) shows as stored.
  const [text, setText] = useState(() => timeoutText(value));
  const shown = storedTimeout(text) === value ? text : timeoutText(value);
  return (
    <Input
      id="trailhound-timeout"
      inputMode="decimal"
      width={16}
      suffix="seconds"
      invalid={invalid}
      placeholder={String(DEFAULT_TIMEOUT_SECONDS)}
      value={shown}
      onChange={(e) => {
        setText(e.currentTarget.value);
        onChange(storedTimeout(e.currentTarget.value));
      }}
    />
  );
}

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
  const problem = urlProblem(jsonData.url ?? '');
  const warning = problem ? undefined : plainHttpWarning(jsonData.url ?? '');
  const timeoutInvalid = Number.isNaN(timeoutSeconds(jsonData.timeoutSeconds));

  return (
    <>
      <ConfigSection title="Trailhound service" description="The service that ingests CloudTrail logs and answers report queries (trailhound serve).">
        {options.readOnly && (
          <Text element="p" variant="bodySmall" color="secondary">
            Provisioned: these settings come from Grafana&apos;s provisioning files and can be changed only there.
          </Text>
        )}
        {/* A provisioned data source cannot be saved from here: a disabled fieldset disables every control in it, the
            token's Reset button too (SecretInput takes no disabled for it), so no edit looks as if it would count. */}
        <fieldset disabled={options.readOnly} style={{ border: 0, margin: 0, padding: 0, minWidth: 0 }}>
          <Field label="Service URL" description={`Where trailhound serve listens; default ${DEFAULT_URL}`} required invalid={Boolean(problem)} error={problem}>
            <Input
              id="trailhound-url"
              width={50}
              invalid={Boolean(problem)}
              placeholder={DEFAULT_URL}
              value={jsonData.url ?? ''}
              onChange={(e) => onOptionsChange({ ...options, jsonData: { ...jsonData, url: e.currentTarget.value.trim() } })}
              aria-describedby={warning ? 'trailhound-url-warning' : undefined}
            />
          </Field>
          {warning && (
            <Text element="p" variant="bodySmall" color="warning" id="trailhound-url-warning">
              {warning}
            </Text>
          )}
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
          <Field
            label="Timeout"
            htmlFor="trailhound-timeout"
            description={`Seconds to wait for each call to the service; default ${DEFAULT_TIMEOUT_SECONDS}, at most ${MAX_TIMEOUT_SECONDS} (one hour)`}
            invalid={timeoutInvalid}
            error={timeoutInvalid ? `More than 0 and at most ${MAX_TIMEOUT_SECONDS} seconds; empty for the default` : undefined}
          >
            <TimeoutInput
              invalid={timeoutInvalid}
              value={jsonData.timeoutSeconds}
              onChange={(stored) => {
                // Stored even when out of range: Save & test refuses it too, and says why.
                const { timeoutSeconds: _old, ...rest } = jsonData;
                onOptionsChange({ ...options, jsonData: stored === undefined ? rest : { ...rest, timeoutSeconds: stored } });
              }}
            />
          </Field>
        </fieldset>
      </ConfigSection>
      {/* Each save (Save & test) raises the version: the panel starts over and asks the service with the settings just saved,
          rather than keep showing what the old ones got (a failure to reach it, say). */}
      {saved.datasource && <IngestionPanel key={options.version} datasource={saved.datasource} canBackfill={config.bootData.user.orgRole === OrgRole.Admin} />}
    </>
  );
}
