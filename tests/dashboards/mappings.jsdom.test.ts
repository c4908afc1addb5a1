// Colours of the events tables' cells, as Grafana's own display processor resolves the value mappings (jsdom:
// @grafana/data needs a window), on every dashboard that lists events.
import { createTheme, FieldType, getDisplayProcessor, type ValueMapping } from '@grafana/data';
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
