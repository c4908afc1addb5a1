// The counts the stats and tables show, as Grafana's own display processor writes them (jsdom: @grafana/data needs a
// window): exact, as the classic reports show them. Grafana's "short" unit rounds 1,234 refused calls to "1 K".
import { createTheme, FieldType, formattedValueToString, getDisplayProcessor } from '@grafana/data';
import { allPanels, loadDashboards, type Json } from './support';

const theme = createTheme();

// Each count a stat or a table shows, with the field config Grafana applies to it: the panel's defaults, then the
// count column's override properties (custom.* left aside: they do not change the text).
const counts = loadDashboards().flatMap(({ file, dashboard }) =>
  allPanels(dashboard).flatMap((p) => {
    const where = `${file}: ${p.title}`;
    if (p.type === 'stat') {
      // Lag is a duration (unit s), not a count.
      return p.options.reduceOptions.fields === '/^lag$/' ? [] : [{ where, config: { ...p.fieldConfig.defaults } }];
    }
    if (p.type !== 'table' || !(p.targets ?? []).some((t: Json) => t.format === 'table' && (t.queryType ?? 'events') === 'events')) return [];
    const config: Json = { ...p.fieldConfig.defaults };
    for (const o of p.fieldConfig.overrides.filter((x: Json) => x.matcher.id === 'byName' && x.matcher.options === 'events')) {
      for (const { id, value } of o.properties) if (!id.startsWith('custom.')) config[id] = value;
    }
    return [{ where, config }];
  })
);

test('every count a stat or a table of counts shows is exact: 12,345 refused calls, not "12 K"', () => {
  // The Summary's ten numbers, its six tables, the Common Searches' four, Events' totals, Ingestion's four counts, List of Trails'.
  expect(counts.length).toBe(10 + 6 + 4 + 1 + 4 + 1);
  for (const { where, config } of counts) {
    const display = getDisplayProcessor({ field: { type: FieldType.number, config }, theme });
    // Digit grouping follows the browser's locale (12,345 or 12.345): the digits are all there.
    const shown = [7, 1234, 12345, 1234567].map((n) => formattedValueToString(display(n)).replace(/[\s,.'\u00a0\u202f]/g, ''));
    expect([where, shown]).toEqual([where, ['7', '1234', '12345', '1234567']]);
  }
});
