// Loading the provisioned dashboards and alert rules, walking their panels and targets, and expanding template
// variables the way Grafana and the Trailhound frontend do — without a Grafana server.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { TrailhoundQuery } from '../../src/model/query';

export const ROOT = path.resolve(__dirname, '../..');
export const DASHBOARD_DIR = path.join(ROOT, 'dashboards');
export const PROVISIONING_DIR = path.join(ROOT, 'provisioning');
export const DATASOURCE = { type: 'trailhound-cloudtrail-datasource', uid: 'trailhound' };

export type Json = Record<string, any>;

export interface Dashboard extends Json {
  uid: string;
  title: string;
  panels: Json[];
  templating: { list: Variable[] };
}

export interface Variable extends Json {
  type: 'query' | 'custom' | 'textbox' | 'constant' | 'interval' | 'datasource' | 'adhoc';
  name: string;
  allValue?: string;
  includeAll?: boolean;
  multi?: boolean;
  current?: { text: string | string[]; value: string | string[] };
  options?: Array<{ text: string; value: string }>;
  query?: any;
}

export function dashboardFiles(): string[] {
  return fs
    .readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

export function loadDashboards(): Array<{ file: string; dashboard: Dashboard }> {
  return dashboardFiles().map((file) => ({ file, dashboard: JSON.parse(fs.readFileSync(path.join(DASHBOARD_DIR, file), 'utf8')) }));
}

export function loadYaml(relative: string): Json {
  return YAML.parse(fs.readFileSync(path.join(PROVISIONING_DIR, relative), 'utf8'));
}

export interface AlertRule extends Json {
  uid: string;
  title: string;
  condition: string;
  data: Array<{ refId: string; datasourceUid: string; relativeTimeRange?: { from: number; to: number }; model: Json }>;
}

export function loadAlertRules(): Array<{ group: Json; rule: AlertRule }> {
  const file = loadYaml('alerting/trailhound-rules.yaml');
  return (file.groups as Json[]).flatMap((group) => (group.rules as AlertRule[]).map((rule) => ({ group, rule })));
}

/** Every panel, including those inside collapsed rows. */
export function allPanels(dashboard: Dashboard): Json[] {
  const out: Json[] = [];
  for (const p of dashboard.panels ?? []) {
    out.push(p);
    if (p.type === 'row') out.push(...(p.panels ?? []));
  }
  return out;
}

/** Panels that run queries (not rows, not text). */
export function queryPanels(dashboard: Dashboard): Json[] {
  return allPanels(dashboard).filter((p) => p.type !== 'row' && p.type !== 'text');
}

// ---------------------------------------------------------------- template variables

// Grafana's own variable syntax: $name, [[name:format]], ${name.path:format}.
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

export interface VariableRef {
  name: string;
  path?: string;
  format?: string;
}

export function variableRefs(text: string): VariableRef[] {
  const refs: VariableRef[] = [];
  for (const m of text.matchAll(VARIABLE)) {
    refs.push({ name: m[1] ?? m[2] ?? m[4], path: m[5], format: m[3] ?? m[6] });
  }
  return refs;
}

/** Every string anywhere inside a value. */
export function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/** Grafana's global and data-link variables (__url_time_range, __value.raw, __data.fields …). */
export const isBuiltIn = (name: string) => name.startsWith('__');

export const ALL = '$__all';
/** A selection: a variable's value, or ALL. Multi-value variables take lists. */
export type Selection = Record<string, string | string[]>;

/** Sample values for a query variable's "All" when it has no allValue: the options Grafana would have listed. */
export const SAMPLE_OPTIONS: Record<string, string[]> = {
  user: ['alice', 'bob', 'carol'],
  region: ['us-east-1', 'eu-west-1'],
  service: ['ec2', 's3'],
  eventName: ['RunInstances', 'GetObject'],
  sourceIp: ['198.51.100.23', '203.0.113.10'],
  account: ['111122223333'],
  errorCode: ['AccessDenied', '(none)'],
  identityType: ['Root', 'AssumedRole'],
  // A role of the generated logs, and the group of the calls made through none.
  role: ['Deployer', '(none)'],
  // A permission set of the generated logs (its roles in every account), and the group of the calls made through none.
  permissionSet: ['AdministratorAccess', '(none)'],
  // The generated logs' management events, and their data events (S3 object calls, Lambda Invoke).
  eventCategory: ['Management', 'Data'],
};

/** The default selection: each variable's saved current value. */
export function defaultSelection(dashboard: Dashboard): Selection {
  const out: Selection = {};
  for (const v of dashboard.templating?.list ?? []) out[v.name] = v.current?.value ?? '';
  return out;
}

const isAll = (value: string | string[]) => value === ALL || (Array.isArray(value) && value.includes(ALL));

/**
 * A stand-in for Grafana's TemplateSrv.replace, as far as the Trailhound frontend uses it: with a format function,
 * a multi-value variable is passed as a list; "All" with a custom allValue is that raw value, unformatted (Grafana's
 * CustomAllValue), and without one it is every listed option.
 */
export function templateSrv(dashboard: Dashboard, selection: Selection) {
  const variables = new Map((dashboard.templating?.list ?? []).map((v) => [v.name, v]));
  const valueOf = (name: string): string | string[] | { raw: string } | undefined => {
    const variable = variables.get(name);
    if (!variable) return undefined;
    const value = selection[name] ?? variable.current?.value ?? '';
    if (isAll(value)) {
      if (variable.allValue !== undefined && variable.allValue !== null && variable.allValue !== '') return { raw: variable.allValue };
      return variable.options?.length ? variable.options.map((o) => o.value) : (SAMPLE_OPTIONS[name] ?? []);
    }
    return value;
  };
  return {
    replace(target?: string, _scopedVars?: unknown, format?: string | ((value: unknown) => string)): string {
      return (target ?? '').replace(VARIABLE, (match, a, b, _f1, c) => {
        const value = valueOf(a ?? b ?? c);
        if (value === undefined) return match;
        if (typeof value === 'object' && !Array.isArray(value)) return value.raw;
        if (typeof format === 'function') return format(value);
        return Array.isArray(value) ? (value.length > 1 ? `{${value.join(',')}}` : (value[0] ?? '')) : value;
      });
    },
    getVariables: () => [...variables.values()],
    containsTemplate: (target?: string) => variableRefs(target ?? '').some((r) => variables.has(r.name)),
    updateTimeRange: () => undefined,
  };
}

const SEPARATOR = '\u001f';
/** One stored value → its values: what the frontend must do for every field (filters split, others one value). */
function expand(value: string, srv: ReturnType<typeof templateSrv>): string[] {
  return srv
    .replace(value, undefined, (v) => (Array.isArray(v) ? v.map(String).join(SEPARATOR) : String(v ?? '')))
    .split(SEPARATOR)
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

export { MODEL_KEYS } from '../../src/model/query';
import { MODEL_KEYS } from '../../src/model/query';

/**
 * A panel target with every variable expanded, as the dashboards need it: filter lists gain one entry per selected
 * value ("All" adds none), every other field takes its single value. Only the model's keys are kept.
 */
export function interpolate(target: Json, dashboard: Dashboard, selection: Selection): TrailhoundQuery {
  const srv = templateSrv(dashboard, selection);
  const out: Json = {};
  for (const key of MODEL_KEYS) {
    const value = target[key];
    if (value === undefined) continue;
    if (key === 'filters') {
      const filters: Record<string, string[]> = {};
      for (const [k, list] of Object.entries(value as Record<string, string[]>)) filters[k] = [...new Set(list.flatMap((v) => expand(v, srv)))];
      out.filters = filters;
    } else if (typeof value === 'string') {
      out[key] = expand(value, srv)[0] ?? '';
    } else {
      out[key] = value;
    }
  }
  return out as TrailhoundQuery;
}

/** Every selection worth trying: the defaults, then each option of each custom variable and a few query-variable picks. */
export function sampleSelections(dashboard: Dashboard): Selection[] {
  const base = defaultSelection(dashboard);
  const out: Selection[] = [base];
  for (const v of dashboard.templating?.list ?? []) {
    if (v.type === 'custom') for (const o of v.options ?? []) out.push({ ...base, [v.name]: o.value });
    if (v.type === 'query') {
      out.push({ ...base, [v.name]: [SAMPLE_OPTIONS[v.name]?.[0] ?? 'x'] });
      if (v.multi) out.push({ ...base, [v.name]: SAMPLE_OPTIONS[v.name] ?? ['x', 'y'] });
    }
    if (v.type === 'textbox') out.push({ ...base, [v.name]: v.name === 'instance_id' ? 'i-0123456789abcdef0' : 'acme-bucket' });
  }
  return out;
}
