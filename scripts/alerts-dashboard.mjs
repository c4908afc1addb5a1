#!/usr/bin/env node
// Writes dashboards/cloudtrail-alerts.json from the alert rules and their runbooks (docs/runbooks.md): for each
// security rule (every rule but the ingestion one), a row with a chart of the rule's own query and a table of its
// events, its runbook under them; a last row holds the ingestion rule's runbook. Run it after changing a rule or a
// runbook (npm run dashboards:alerts); with --check it only says whether the file is up to date, which
// tests/dashboards/structure.test.ts asks. The rules'
// __panelId__ annotations name the charts: text 1, then for the n-th security rule (from 0) its row 2 + 3n, chart
// 3 + 3n and table 4 + 3n. Their runbook_url annotations name the runbooks: 100 + the rule's place in the rules file.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const read = (file) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const allRules = YAML.parse(read('provisioning/alerting/trailhound-rules.yaml')).groups.flatMap((g) => g.rules);
const rules = allRules.filter((r) => r.uid !== 'trailhound-no-events');
const RUNBOOK_IDS_FROM = 100;

/** docs/runbooks.md's sections, by heading: each `## <rule title>` and its text up to the next heading. */
const runbooks = new Map(
  read('docs/runbooks.md')
    .split(/^## /m)
    .slice(1)
    .map((section) => {
      const [heading, ...body] = section.split('\n');
      return [heading.trim(), body.join('\n').trim()];
    })
);

/** The rule's runbook as a text panel, as wide as the dashboard. */
function runbookPanel(rule, y) {
  const content = runbooks.get(rule.title);
  if (!content) throw new Error(`docs/runbooks.md has no section "## ${rule.title}": write the rule's runbook there`);
  // Tall enough for the text at full width (about 180 characters a line of 21 px, a blank line between paragraphs, the
  // title above, 30 px a grid unit), so that the dashboard shows it whole, not in a box to scroll.
  const lines = content.split(/\n\n+/).reduce((n, paragraph) => n + Math.ceil(paragraph.length / 180) + 1, 0);
  const h = Math.ceil((lines * 21 + 48) / 30);
  const id = RUNBOOK_IDS_FROM + allRules.indexOf(rule);
  return { id, type: 'text', title: `${rule.title}: runbook`, gridPos: { h, w: 24, x: 0, y }, options: { mode: 'markdown', content } };
}
// The Events dashboard gives the look shared by every dashboard (annotations, links) and its events table.
const events = JSON.parse(read('dashboards/cloudtrail-events.json'));
const eventsTable = events.panels.find((p) => p.title === 'Events');
const DATASOURCE = { type: 'trailhound-cloudtrail-datasource', uid: 'trailhound' };
/** Events listed beside a chart: the latest; the rule's own limit is how many groups (alert instances) it keeps. */
const LIST_LIMIT = 100;

/** A rule's group in words: per ${per}, for one ${one}. */
function groupWords(groupBy) {
  return groupBy === 'userAndAccount' ? { per: 'user and account', one: 'user in one account' } : { per: groupBy, one: groupBy };
}

/** What the rule's condition says, in words. */
function fires(rule, model) {
  const [threshold] = rule.data[2].model.conditions[0].evaluator.params;
  if (model.peakWindow) {
    return `fires when more than ${threshold} events of one ${groupWords(model.groupBy).one} were made within ${model.peakWindow} minutes ` +
      'of each other, one of them arriving in the last 30 minutes';
  }
  return threshold > 0
    ? `fires when more than ${threshold} arrived for one ${groupWords(model.groupBy).one} in the last 30 minutes`
    : 'fires on any that arrived in the last 30 minutes';
}

/** What a peak of the rule's query counts, in words. */
const peakWords = (model) => `the most events of one ${groupWords(model.groupBy).one} made within ${model.peakWindow} minutes of each other`;

/** What a chart of the rule's query shows in each bucket. */
function counted(model) {
  const { per } = groupWords(model.groupBy);
  if (!model.peakWindow) return `The rule's events per ${per}, by arrival time in 5-minute buckets`;
  return `The rule's peak per ${per}, by arrival time in 5-minute buckets (for the events stored in a bucket, ${peakWords(model)}, stored whenever)`;
}

/** What the rules that count peaks take instead of a sum, from their queries (their group and window); none, nothing. */
function peaksInWords() {
  const peaks = rules.filter((r) => r.data[0].model.peakWindow);
  if (peaks.length === 0) return '';
  const counts = new Set(peaks.map((r) => peakWords(r.data[0].model)));
  if (counts.size !== 1) throw new Error(`the rules that count peaks count them in ${counts.size} ways: say each in the text`);
  const names = peaks.map((r) => `"${r.title}"`);
  const which = `${names.slice(0, -1).join(', ')}${names.length > 1 ? ' and ' : ''}${names.at(-1)}`;
  return `; the rules ${which} take the highest peak instead, ${[...counts][0]}, ` +
    'so that a backlog stored at once after an outage adds up only as densely as it happened';
}

/** The Events dashboard's selectors (groupBy, status, mfa …) and the value each takes unless a link sets it. */
const eventsSelectors = events.templating.list.filter((v) => v.type === 'custom').map((v) => [v.name, v.current.value]);

/** The same events in CloudTrail Events, by arrival time: the link sets each selector the rule's query changes. */
function eventsLink(model) {
  const params = ['${__url_time_range}'];
  for (const [name, fallback] of eventsSelectors) {
    const value = name === 'timeField' ? 'arrival' : (model[name] ?? fallback);
    if (value !== fallback) params.push(`var-${name}=${value}`);
  }
  for (const [dimension, values] of Object.entries(model.filters)) for (const v of values) params.push(`var-${dimension}=${encodeURIComponent(v)}`);
  // Events has no selector that leaves values out: the link says what it shows beside the rule's events.
  const excluded = Object.values(model.exclude ?? {}).flat();
  const also = excluded.length > 0 ? `; with ${excluded.join(', ')}, which the rule leaves out` : '';
  return [
    { title: `Open in CloudTrail Events (by arrival time${also})`, url: `/d/trailhound-events/cloudtrail-events?${params.join('&')}`, targetBlank: false },
  ];
}

/** The Events table's columns (both times, "time" and "arrived", by their type), its links at arrival time (it has no $timeField here). */
function tableOverrides() {
  const overrides = structuredClone(eventsTable.fieldConfig.overrides);
  for (const o of overrides) {
    for (const p of o.properties) {
      if (p.id === 'links') for (const link of p.value) link.url = link.url.replace('${timeField:queryparam}', 'var-timeField=arrival');
    }
  }
  return overrides;
}

const panels = [
  {
    id: 1,
    type: 'text',
    title: '',
    gridPos: { h: 4, w: 24, x: 0, y: 0 },
    options: {
      mode: 'markdown',
      content:
        'What each CloudTrail alert rule counts, **by arrival time**: when Trailhound stored the events, not when the calls were made. ' +
        'An event stored late (after an outage of log delivery or of the service) counts when it arrives, if it happened at most a day before. ' +
        `Each rule sums its events over the last 30 minutes${peaksInWords()}. ` +
        'The alert notifications link here; the tables list the events themselves, the latest stored first, ' +
        "and each panel's link opens them in CloudTrail Events. " +
        "Under them, the rule's runbook (docs/runbooks.md): what is usually benign, how to investigate, what to do.",
    },
  },
];
const NO_RULE_EVENTS = "None of this rule's events arrived in the time range";
let y = 4;
rules.forEach((rule, n) => {
  const { intervalMs: _interval, maxDataPoints: _points, ...model } = rule.data[0].model;
  const links = eventsLink(model);
  panels.push({ id: 2 + 3 * n, type: 'row', title: rule.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
  y += 1;
  panels.push({
    id: 3 + 3 * n,
    type: 'timeseries',
    title: rule.title,
    datasource: DATASOURCE,
    gridPos: { h: 8, w: 12, x: 0, y },
    // At least the rule's 5-minute buckets, however wide the panel.
    interval: '5m',
    targets: [{ ...model, datasource: DATASOURCE }],
    description: `${counted(model)}: the query of the alert rule "${rule.title}", which ${fires(rule, model)}.`,
    links,
    fieldConfig: {
      defaults: {
        color: { mode: 'palette-classic' },
        unit: 'short',
        decimals: 0,
        min: 0,
        // Grafana's message for a chart without series (the usual state of a quiet rule): not "No data", which reads as broken.
        noValue: NO_RULE_EVENTS,
        // Peaks of several users do not add up: side by side, not stacked.
        custom: {
          drawStyle: 'bars', fillOpacity: 70, lineWidth: 1, showPoints: 'never', stacking: { mode: model.peakWindow ? 'none' : 'normal', group: 'A' },
          axisPlacement: 'auto', axisLabel: 'events',
        },
      },
      overrides: [],
    },
    // The legend shows what the rule's reducer takes: the total, or the highest peak.
    options: {
      legend: {
        showLegend: true, displayMode: 'table', placement: 'right', calcs: [model.peakWindow ? 'max' : 'sum'], sortBy: model.peakWindow ? 'Max' : 'Total',
        sortDesc: true,
      },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
  });
  panels.push({
    id: 4 + 3 * n,
    type: 'table',
    title: `${rule.title}: the events`,
    datasource: DATASOURCE,
    gridPos: { h: 8, w: 12, x: 12, y },
    targets: [{ ...model, datasource: DATASOURCE, format: 'list', limit: LIST_LIMIT }],
    description: `The events the rule "${rule.title}" counts, the latest stored first (up to ${LIST_LIMIT}), ` +
      'with when each was made (time) and when it was stored (arrived).',
    links,
    // Grafana's table shows the panel's noValue when the list is empty; the overrides keep an empty cell blank.
    fieldConfig: { defaults: { ...structuredClone(eventsTable.fieldConfig.defaults), noValue: NO_RULE_EVENTS }, overrides: tableOverrides() },
    options: structuredClone(eventsTable.options),
  });
  y += 8;
  const runbook = runbookPanel(rule, y);
  panels.push(runbook);
  y += runbook.gridPos.h;
});
// The ingestion rule opens the Ingestion dashboard; its runbook is here with the others, in a row of its own.
const ingestion = allRules.find((r) => r.uid === 'trailhound-no-events');
panels.push({ id: 2 + 3 * rules.length, type: 'row', title: ingestion.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
panels.push(runbookPanel(ingestion, y + 1));

const dashboard = {
  uid: 'trailhound-alerts',
  title: 'CloudTrail Alerts',
  description: 'What each CloudTrail alert rule counts, by arrival time, and the events behind it: the alert rules link here.',
  tags: events.tags,
  editable: true,
  graphTooltip: 1,
  schemaVersion: events.schemaVersion,
  version: 1,
  timezone: 'browser',
  fiscalYearStartMonth: 0,
  liveNow: false,
  refresh: '1m',
  time: { from: 'now-6h', to: 'now' },
  timepicker: {},
  annotations: events.annotations,
  links: events.links,
  templating: { list: [] },
  panels,
};
const file = path.join(ROOT, 'dashboards/cloudtrail-alerts.json');
const text = JSON.stringify(dashboard, null, 2) + '\n';
if (process.argv.includes('--check')) {
  // For the tests: is the committed dashboard what the rules give?
  if (fs.readFileSync(file, 'utf8') !== text) {
    console.error('dashboards/cloudtrail-alerts.json differs from the alert rules: run npm run dashboards:alerts');
    process.exit(1);
  }
} else {
  fs.writeFileSync(file, text);
  console.log(`dashboards/cloudtrail-alerts.json: ${rules.length} rules, ${allRules.length} runbooks`);
}
