// Data source settings: where the Trailhound service listens and its bearer token. Grafana's own
// "Save & test" runs the backend's health check; below it, the service's ingestion status once saved.
import { OrgRole, type DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { ConfigSection } from '@grafana/plugin-ui';
import { config } from '@grafana/runtime';
import { Field, Input, SecretInput, Text } from '@grafana/ui';
import { useEffect } from 'react';
import { DEFAULT_URL, type Options, type SecureOptions } from '../types';
import { IngestionPanel } from './IngestionPanel';
import { useSavedDataSource } from './useSavedDataSource';

type Props = DataSourcePluginOptionsEditorProps<Options, SecureOptions>;

/**
 * Whether a host keeps a plain-http token on this machine or a private network: loopback, a name without a dot (a
 * docker-compose service, `trailhound`), a private zone (Kubernetes' `.cluster.local`), a private or link-local address.
 */
function looksPrivate(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  // An IPv4 address written as IPv6 (URL writes [::ffff:127.0.0.1] as [::ffff:7f00:1]) is that IPv4 address.
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped) {
    const [hi, lo] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
    return looksPrivate([hi >> 8, hi & 255, lo >> 8, lo & 255].join('.'));
  }
  if (host.includes(':')) return host === '::1' || /^(f[cd]|fe[89ab])/.test(host);
  if (!host.includes('.') || /(^|\.)(localhost|local|internal|lan|home\.arpa)$/.test(host)) return true;
  const ip = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(host);
  if (!ip) return false;
  const [a, b] = [Number(ip[1]), Number(ip[2])];
  // 0.0.0.0 reaches this host, as 127/8 does.
  return a === 0 || a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
}

/** A warning for an http:// URL whose host looks public: the bearer token would cross networks unencrypted. Not a refusal. */
export function plainHttpWarning(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' || looksPrivate(parsed.hostname)) return undefined;
  return `The token is sent unencrypted to ${parsed.hostname}: use https, unless the service is on a private network.`;
}

/**
 * Why the backend would refuse a service URL (parseSettings in src/backend/settings.ts, whose rules these follow), said
 * as the user types rather than only by Save & test. Empty is no problem: the backend then uses the default.
 */
export function urlProblem(url: string): string | undefined {
  if (url === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `Not a URL: write it whole, e.g. ${DEFAULT_URL}`;
  }
  // "trailhound:7480" parses, as a URL of the scheme "trailhound:".
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `Start it with http:// or https://, e.g. ${DEFAULT_URL}`;
  if (parsed.username || parsed.password) return 'Leave out the user name and password (user:password@): the service takes only the token below';
  return undefined;
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

  return (
    <>
      <ConfigSection title="Trailhound service" description="The service that ingests CloudTrail logs and answers report queries (trailhound serve).">
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
      </ConfigSection>
      {/* Each save (Save & test) raises the version: the panel starts over and asks the service with the settings just saved,
          rather than keep showing what the old ones got (a failure to reach it, say). */}
      {saved.datasource && <IngestionPanel key={options.version} datasource={saved.datasource} canBackfill={config.bootData.user.orgRole === OrgRole.Admin} />}
    </>
  );
}
