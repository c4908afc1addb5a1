// Expands Grafana template variables in a query before it leaves the browser, so the backend, the service and
// alert rules only ever see plain values. The query keeps its shape: filters stay lists, resourceId a string.
import type { ScopedVars } from '@grafana/data';
import type { TemplateSrv } from '@grafana/runtime';
import type { Filters, FilterKey } from '../model/query';
import type { Query } from './types';

// A character no CloudTrail value contains: each variable's place in the text is marked with it and a number.
const MARK = '\u001f';

/**
 * One stored value → the values it stands for: `$users` with alice and bob selected → ['alice', 'bob'], and
 * with text around a variable, one value per selected value: `$team-admin` → ['ops-admin', 'dev-admin'].
 */
export function expandValue(value: string, templateSrv: TemplateSrv, scopedVars?: ScopedVars): string[] {
  const selections: string[][] = [];
  const marked = templateSrv.replace(withoutJoiningFormats(value), scopedVars, (selected: unknown) => {
    selections.push(Array.isArray(selected) ? selected.map(String) : [String(selected ?? '')]);
    return `${MARK}${selections.length - 1}${MARK}`;
  });
  // Odd parts are the variables' numbers, even parts the text between them.
  let values = [''];
  marked.split(MARK).forEach((part, i) => {
    const choices = i % 2 === 1 ? selections[Number(part)] : [part];
    values = values.flatMap((before) => choices.map((choice) => before + choice));
  });
  // Not trimmed: a stored value may end in a space, and the service matches values exactly; blank ones go.
  return values.filter((v) => v.trim() !== '');
}

/**
 * Formats that join or quote a variable's values into one text (`${users:csv}`, a habit from SQL data sources): Grafana
 * lets a format written in the text win over the one replace() is given, and alice and bob would be one value,
 * "alice,bob", that matches no event. The values here are matched exactly, each on its own, so these formats go. Others
 * (`:text`, a date's) are Grafana's to apply.
 */
const JOINING_FORMATS = new Set([
  'csv', 'pipe', 'distributed', 'singlequote', 'doublequote', 'sqlstring', 'json', 'lucene', 'glob', 'regex', 'raw', 'percentencode', 'queryparam',
]);

function withoutJoiningFormats(text: string): string {
  return text
    .replace(/\$\{(\w+)((?:\.[^:^}]+)?):([^}]+)\}/g, (written, name, path, format) => (JOINING_FORMATS.has(format) ? `\${${name}${path}}` : written))
    .replace(/\[\[(\w+?):(\w+)\]\]/g, (written, name, format) => (JOINING_FORMATS.has(format) ? `[[${name}]]` : written));
}

/**
 * The filters (or exclusions) with the variables in their values expanded. What is not text (a panel's JSON edited by
 * hand: filters that are no object, a list's null or number) goes on as it is, for the service to refuse in words:
 * Grafana's replace() throws on it ("replace is not a function"), and left out it would widen the query.
 */
export function expandFilters(filters: Filters, templateSrv: TemplateSrv, scopedVars?: ScopedVars): Filters {
  if (typeof filters !== 'object' || filters === null || Array.isArray(filters)) return filters;
  const out: Filters = {};
  for (const [key, values] of Object.entries(filters) as Array<[FilterKey, unknown]>) {
    if (values === undefined) {
      continue;
    }
    if (typeof values !== 'string' && !Array.isArray(values)) {
      (out as Record<string, unknown>)[key] = values;
      continue;
    }
    const given: unknown[] = typeof values === 'string' ? [values] : values;
    // A Set: the same value picked by hand and through a variable counts once.
    out[key] = [...new Set(given.flatMap((v) => (typeof v === 'string' ? expandValue(v, templateSrv, scopedVars) : [v])))] as string[];
  }
  return out;
}

/** Fields holding one choice (the Events dashboard sets them from custom variables such as $groupBy). */
const CHOICE_FIELDS = ['queryType', 'format', 'groupBy', 'aggregate', 'status', 'readOnly', 'mfa', 'timeField', 'serviceCalls', 'ingestView'] as const;

/** Whole numbers of the model that a saved query may take from a variable as text ("limit": "$top"). */
const NUMBER_FIELDS = ['limit', 'peakWindow'] as const;

export function expandQuery(query: Query, templateSrv: TemplateSrv, scopedVars?: ScopedVars): Query {
  const expanded: Query = { ...query };
  const choices = expanded as Record<(typeof CHOICE_FIELDS)[number], string | undefined>;
  for (const field of CHOICE_FIELDS) {
    const value: unknown = query[field];
    // Text only, as in the filters: anything else goes on as it is, for the service to refuse.
    if (typeof value === 'string' && value) {
      // One value: a multi-value variable gives its first; nothing selected leaves the model's default.
      choices[field] = expandValue(value, templateSrv, scopedVars)[0];
    }
  }
  if (query.filters) {
    expanded.filters = expandFilters(query.filters, templateSrv, scopedVars);
  }
  if (query.exclude) {
    expanded.exclude = expandFilters(query.exclude, templateSrv, scopedVars);
  }
  for (const field of NUMBER_FIELDS) {
    const value: unknown = query[field];
    if (typeof value === 'string') {
      // A number from a variable ($top): its text, which the model reads as a number; nothing selected is the default.
      (expanded as Record<(typeof NUMBER_FIELDS)[number], unknown>)[field] = expandValue(value, templateSrv, scopedVars)[0];
    }
  }
  if (typeof query.resourceId === 'string' && query.resourceId) {
    // A resource id is one value: a multi-value variable gives its first selected value.
    expanded.resourceId = expandValue(query.resourceId, templateSrv, scopedVars)[0] ?? '';
  }
  return expanded;
}
