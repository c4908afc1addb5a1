// Colours of the events tables' cells, as Grafana's own display processor resolves the value mappings (jsdom:
// @grafana/data needs a window), on every dashboard that lists events.
import { createTheme, fieldMatchers, FieldType, formattedValueToString, getDisplayProcessor, toDataFrame, type ValueMapping } from '@grafana/data';
import { NO_ROLE, NO_SOURCE_IP } from '../../src/model/fieldRules';
import { resolveQuery, TIME_FIELDS } from '../../src/model/query';
import { listFrame } from '../../src/service/reports/frames';
import { allPanels, loadDashboards, type Json } from './support';

const errorCodeMappings = loadDashboards().flatMap(({ file, dashboard }) =>
  allPanels(dashboard).flatMap((p) =>
    (p.fieldConfig?.overrides ?? [])
      .filter((o: Json) => o.matcher.options === 'error code')
      .map((o: Json) => ({ where: `${file}: ${p.title}`, mappings: o.properties.find((x: Json) => x.id === 'mappings')?.value as ValueMapping[] }))
  )
);

const theme = createTheme();
const [red, text] = ['red', 'text'].map((name) => theme.visualization.getColorByName(name));
// What a cell that no mapping matches shows.
const plain = getDisplayProcessor({ field: { type: FieldType.string, config: {} }, theme })('').color;

test('an error code is red, a dry run (a success: it would have succeeded) is not, no code is plain', () => {
  expect(errorCodeMappings.length).toBeGreaterThan(1);
  expect(new Set([red, text, plain]).size).toBe(3);
  for (const { where, mappings } of errorCodeMappings) {
    const display = getDisplayProcessor({ field: { type: FieldType.string, config: { mappings } }, theme });
    const colour = (code: string) => display(code).color;
    expect([where, colour('AccessDenied'), colour('Client.UnauthorizedOperation'), colour('Client.DryRunOperation'), colour('')]).toEqual([
      where, red, red, text, plain,
    ]);
  }
});

// Every events list's role column: the event list gives no role (null) to the events that are not role sessions (a
// table grouped by role names that group itself).
const roleColumns = loadDashboards().flatMap(({ file, dashboard }) =>
  allPanels(dashboard)
    .filter((p) => (p.targets ?? []).some((t: Json) => t.format === 'list'))
    .flatMap((p) =>
      (p.fieldConfig?.overrides ?? [])
        .filter((o: Json) => o.matcher.options === 'role')
        .map((o: Json) => ({
          where: `${file}: ${p.title}`,
          mappings: o.properties.find((x: Json) => x.id === 'mappings')?.value as ValueMapping[],
          link: o.properties.find((x: Json) => x.id === 'links')?.value[0] as { title: string; url: string },
        }))
    )
);

test('an events list\'s role cell without a role shows, and its "Only" link picks, the role filter\'s group "(none)"; a role itself as it is', () => {
  expect(roleColumns.map((c) => c.where)).toContain('cloudtrail-events.json: Events');
  for (const { where, mappings, link } of roleColumns) {
    const display = getDisplayProcessor({ field: { type: FieldType.string, config: { mappings, noValue: '' } }, theme });
    // ${__value.text} is the display processor's text (grafana/scenes ValueMacro: formattedValueToString of it).
    const text = (value: string | null) => formattedValueToString(display(value));
    expect([where, text(null), text('Deployer'), text('AWSReservedSSO_ReadOnly_0a1b2c3d4e5f6a7b')]).toEqual([
      where, NO_ROLE, 'Deployer', 'AWSReservedSSO_ReadOnly_0a1b2c3d4e5f6a7b',
    ]);
    expect([where, link.url]).toEqual([where, expect.stringContaining('&var-role=${__value.text:percentencode}&')]);
  }
});

// The Ingestion dashboard's unreadable files: when a file that ran out of memory is tried again, the other files none.
test("the unreadable files' retry time shows as a date, and a file without one an empty cell, not the panel's \"No unreadable files\"", () => {
  const ingestion = loadDashboards().find(({ file }) => file === 'cloudtrail-ingestion.json')!.dashboard;
  const table = allPanels(ingestion).find((p) => p.type === 'table' && p.title === 'Unreadable files')!;
  // As Grafana applies them: the panel's defaults, then the column's override properties (custom.* left aside).
  const config: Json = { ...table.fieldConfig.defaults };
  for (const o of table.fieldConfig.overrides.filter((x: Json) => x.matcher.options === 'retry after')) {
    for (const { id, value } of o.properties) if (!id.startsWith('custom.')) config[id] = value;
  }
  const display = getDisplayProcessor({ field: { type: FieldType.time, config }, theme, timeZone: 'utc' });
  const text = (value: number | null) => formattedValueToString(display(value));
  expect([text(Date.UTC(2030, 0, 1, 12, 5)), text(null)]).toEqual(['2030-01-01 12:05:00', '']);
  // Without the override's noValue, the empty cell would read as the panel's message.
  const withoutOverride = getDisplayProcessor({ field: { type: FieldType.time, config: { ...config, noValue: table.fieldConfig.defaults.noValue } }, theme });
  expect(formattedValueToString(withoutOverride(null))).toBe('No unreadable files');
});

// Every events list: Grafana's table shows the panel's fieldConfig.defaults.noValue in place of the rows when it has
// none (TableNG's EmptyTablePlaceholder; PanelDataErrorView's message when there is no frame at all), and "" there is
// a blank panel under the headers. A cell shows its own field's noValue when it has no value.
const eventLists = loadDashboards().flatMap(({ file, dashboard }) =>
  allPanels(dashboard)
    .filter((p) => p.type === 'table' && (p.targets ?? []).some((t: Json) => t.format === 'list'))
    .map((p) => ({ where: `${file}: ${p.title}`, panel: p }))
);

test("an empty events list says so under its headers; a cell without a value stays empty, not the panel's message", () => {
  expect(eventLists.map((l) => l.where)).toContain('cloudtrail-events.json: Events');
  expect(eventLists.length).toBeGreaterThan(1);
  for (const { where, panel } of eventLists) {
    const message = panel.fieldConfig.defaults.noValue;
    expect([where, message]).toEqual([where, expect.stringMatching(/^No(ne)? .+ in the time range$/)]);
    for (const timeField of TIME_FIELDS) {
      // The service's own columns (no rows), each with its config as Grafana applies it: the panel's defaults, then the
      // properties of each override whose matcher (Grafana's own) takes the column, in order (custom.* left aside).
      const frame = toDataFrame(listFrame(resolveQuery({ format: 'list', timeField })).frames()[0]);
      for (const field of frame.fields) {
        const config: Json = { ...panel.fieldConfig.defaults };
        for (const o of panel.fieldConfig.overrides) {
          if (!fieldMatchers.get(o.matcher.id).get(o.matcher.options)(field, frame, [frame])) continue;
          for (const { id, value } of o.properties) if (!id.startsWith('custom.')) config[id] = value;
        }
        const display = getDisplayProcessor({ field: { type: field.type, config }, theme, timeZone: 'utc' });
        const texts = [null, ''].map((v) => formattedValueToString(display(v)));
        expect([where, field.name, texts.includes(message)]).toEqual([where, field.name, false]);
      }
    }
  }
});

// Every events list's source IP column: the event list gives '' to an event without an address (an Insight event),
// which the source IP filter takes as its group "(none)" (a table grouped by source IP names that group itself).
test('an events list\'s source IP cell without an address shows, for its "Only" link, the source IP group "(none)"; an address as it is', () => {
  const columns = eventLists.flatMap(({ where, panel }) =>
    panel.fieldConfig.overrides.filter((o: Json) => o.matcher.options === 'source IP').map((o: Json) => ({ where, panel, override: o }))
  );
  expect(columns.map((c) => c.where)).toContain('cloudtrail-events.json: Events');
  for (const { where, panel, override } of columns) {
    // As Grafana applies them: the panel's defaults, then the every-column override's noValue, then the column's own.
    const config: Json = { ...panel.fieldConfig.defaults, noValue: '' };
    for (const { id, value } of override.properties) if (!id.startsWith('custom.')) config[id] = value;
    const display = getDisplayProcessor({ field: { type: FieldType.string, config }, theme });
    const text = (value: string) => formattedValueToString(display(value));
    expect([where, text(''), text('203.0.113.7'), text('AWS Internal')]).toEqual([where, NO_SOURCE_IP, '203.0.113.7', 'AWS Internal']);
  }
});
