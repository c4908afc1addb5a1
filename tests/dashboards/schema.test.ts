// The dashboards against Grafana's own schema: the TypeScript types @grafana/schema generates from Grafana's CUE (the
// dashboard v1 model, and each core panel's options and field config), read with the TypeScript compiler. Grafana
// ignores an option its panel does not know (or migrates a legacy one on load), so a misspelt or outdated option would
// pass every other test and do nothing: this one names it.
import path from 'node:path';
import ts from 'typescript';
import { allPanels, loadDashboards, ROOT, type Json } from './support';

const SCHEMA = '@grafana/schema/dist/esm/raw';
// The panel types the dashboards use, by their generated types' file names.
const PANELS: Record<string, string> = { table: 'Table', stat: 'Stat', timeseries: 'TimeSeries', barchart: 'BarChart', text: 'Text' };

const source = [
  `import type { Dashboard, Panel, RowPanel, VariableModel, FieldConfig } from '${SCHEMA}/dashboard/x/Dashboard_types.gen';`,
  ...Object.entries(PANELS).map(([type, name]) => `import type * as ${type} from '${SCHEMA}/composable/${type}/panelcfg/x/${name}PanelCfg_types.gen';`),
  'export type Types = {',
  '  dashboard: Omit<Dashboard, "panels" | "templating">; panel: Omit<Panel, "options">; row: Omit<RowPanel, "panels">; variable: VariableModel;',
  '  fieldConfig: FieldConfig;',
  // Text and stat panels have no field config of their own.
  ...Object.keys(PANELS).map((type) =>
    `  ${type}Options: ${type}.Options; ${type}FieldConfig: ${['text', 'stat'].includes(type) ? '{}' : `${type}.FieldConfig`};`),
  '};',
].join('\n');

const file = path.join(ROOT, 'tests/dashboards/__schema__.ts');
const options: ts.CompilerOptions = {
  strict: true, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, skipLibCheck: true, noEmit: true,
};
const host = ts.createCompilerHost(options);
const readFile = host.readFile.bind(host);
host.readFile = (name) => (path.resolve(name) === file ? source : readFile(name));
const fileExists = host.fileExists.bind(host);
host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
const program = ts.createProgram([file], options, host);
const checker = program.getTypeChecker();

const typesSymbol = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)!)!).find((s) => s.name === 'Types')!;
const typesType = checker.getDeclaredTypeOfSymbol(typesSymbol);
const typeOf = (name: string): ts.Type => {
  const prop = checker.getPropertyOfType(typesType, name);
  if (!prop) throw new Error(`no type ${name}`);
  return checker.getTypeOfSymbol(prop);
};

const isLoose = (t: ts.Type) => (t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.NonPrimitive)) !== 0;
const members = (t: ts.Type) => (t.isUnion() ? t.types : [t]).filter((m) => (m.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)) === 0);

/** What is wrong with a value for a type: unknown keys, values outside an enum or of the wrong kind. */
function problems(value: unknown, type: ts.Type, where: string): string[] {
  const options = members(type);
  if (options.length === 0 || options.some(isLoose)) return [];
  if (value === null) return [];
  if (typeof value !== 'object') {
    const kind = typeof value === 'string' ? ts.TypeFlags.StringLike : typeof value === 'number' ? ts.TypeFlags.NumberLike : ts.TypeFlags.BooleanLike;
    const fitting = options.filter((m) => (m.flags & kind) !== 0);
    if (fitting.length === 0) return [`${where}: ${JSON.stringify(value)} is not a ${checker.typeToString(type)}`];
    // An open string or number accepts anything; otherwise only the enum's or literal union's values.
    if (fitting.some((m) => (m.flags & (ts.TypeFlags.String | ts.TypeFlags.Number | ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) !== 0)) return [];
    const allowed = fitting.map((m) => (m as ts.LiteralType).value);
    const listed = allowed.map((v) => JSON.stringify(v)).sort().join(', ');
    return allowed.includes(value as string | number) ? [] : [`${where}: ${JSON.stringify(value)} is none of ${listed}`];
  }
  let best: string[] | undefined;
  for (const m of options) {
    const found = objectProblems(value as Json, m, where);
    if (found.length === 0) return [];
    if (!best || found.length < best.length) best = found;
  }
  return best ?? [];
}

function objectProblems(value: Json, type: ts.Type, where: string): string[] {
  if (Array.isArray(value)) {
    if (!checker.isArrayType(type)) return [`${where}: a list where ${checker.typeToString(type)} is wanted`];
    const [element] = checker.getTypeArguments(type as ts.TypeReference);
    return value.flatMap((v, i) => problems(v, element, `${where}[${i}]`));
  }
  if ((type.flags & ts.TypeFlags.Object) === 0 || checker.isArrayType(type)) return [`${where}: an object where ${checker.typeToString(type)} is wanted`];
  const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
  return Object.entries(value).flatMap(([key, v]) => {
    const prop = checker.getPropertyOfType(type, key);
    if (prop) return problems(v, checker.getTypeOfSymbol(prop), `${where}.${key}`);
    if (index) return problems(v, index.type, `${where}.${key}`);
    return [`${where}.${key}: no such option`];
  });
}

/** The type of a field config property by its override id: `custom.cellOptions` in the panel's own, `unit` in the common one. */
function propertyType(panelType: string, id: string): ts.Type | undefined {
  const [first, ...rest] = id.split('.');
  let type = first === 'custom' ? typeOf(`${panelType}FieldConfig`) : typeOf('fieldConfig');
  for (const key of first === 'custom' ? rest : [first, ...rest]) {
    const prop = members(type).map((m) => checker.getPropertyOfType(m, key)).find(Boolean);
    if (!prop) return undefined;
    type = checker.getTypeOfSymbol(prop);
  }
  return type;
}

/** Everything Grafana's schema would refuse, or ignore, in a dashboard. */
export function schemaProblems(dashboard: Json): string[] {
  const { panels, templating, ...rest } = dashboard;
  const out = problems(rest, typeOf('dashboard'), 'dashboard');
  // A query variable's definition (the text Grafana lists it by) is in every saved dashboard, but not in the generated type.
  (templating?.list ?? []).forEach(({ definition: _d, ...v }: Json) => out.push(...problems(v, typeOf('variable'), `variable ${v.name}`)));
  for (const p of allPanels({ ...dashboard, panels } as any)) {
    const where = `panel ${p.id} (${p.type})`;
    if (p.type === 'row') {
      const { panels: inner, ...row } = p;
      out.push(...problems(row, typeOf('row'), where));
      if (inner?.length && !p.collapsed) out.push(`${where}: panels inside an open row (Grafana keeps them only under a collapsed one)`);
      continue;
    }
    if (!PANELS[p.type]) {
      out.push(`${where}: not a panel type these tests know (graph and table-old are gone: timeseries, table)`);
      continue;
    }
    const { options: panelOptions, fieldConfig, ...panel } = p;
    out.push(...problems(panel, typeOf('panel'), where));
    out.push(...problems(panelOptions ?? {}, typeOf(`${p.type}Options`), `${where} options`));
    if (!fieldConfig) continue;
    const { custom, ...defaults } = fieldConfig.defaults ?? {};
    out.push(...problems(defaults, typeOf('fieldConfig'), `${where} fieldConfig.defaults`));
    out.push(...problems(custom ?? {}, typeOf(`${p.type}FieldConfig`), `${where} fieldConfig.defaults.custom`));
    for (const o of fieldConfig.overrides ?? []) {
      for (const { id, value } of o.properties) {
        const at = `${where} override ${JSON.stringify(o.matcher.options)} ${id}`;
        const type = propertyType(p.type, id);
        out.push(...(type ? problems(value, type, at) : [`${at}: no such field option`]));
      }
    }
  }
  return out;
}

test('the generated types load (a schema package that moved its files would make every check below pass)', () => {
  expect(program.getSemanticDiagnostics(program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  expect(checker.getPropertiesOfType(typeOf('tableOptions')).map((p) => p.name)).toEqual(expect.arrayContaining(['showHeader', 'sortBy', 'cellHeight']));
});

test('the checker finds what Grafana would ignore: an unknown option, a value outside its enum or of the wrong kind, a legacy table footer', () => {
  const dashboard = {
    uid: 'x', title: 'x', schemaVersion: 41, graphTooltip: 'shared',
    panels: [
      { id: 1, type: 'timeseries', gridPos: { x: 0, y: 0, w: 1, h: 1 }, options: { legend: { showLegend: true, placement: 'middle', calcs: [] }, tootip: {} },
        fieldConfig: { defaults: { unit: 'short', custom: { drawStyle: 'bar' } }, overrides: [] } },
      { id: 2, type: 'table', gridPos: { x: 0, y: 0, w: 1, h: 1 }, options: { footer: { show: true, reducer: ['sum'] } },
        fieldConfig: { defaults: {}, overrides: [] } },
      { id: 3, type: 'graph', gridPos: { x: 0, y: 0, w: 1, h: 1 } },
      { id: 4, type: 'table', gridPos: { x: 0, y: 0, w: 1, h: 1 },
        fieldConfig: {
          defaults: { custom: { footer: { reducers: ['sum'] } } },
          overrides: [{ matcher: { id: 'byName', options: 'a' }, properties: [{ id: 'custom.colour', value: 1 }] }],
        } },
    ],
  };
  expect(schemaProblems(dashboard)).toEqual([
    'dashboard.graphTooltip: "shared" is not a DashboardCursorSync | undefined',
    'panel 1 (timeseries) options.legend.placement: "middle" is none of "bottom", "right"',
    'panel 1 (timeseries) options.tootip: no such option',
    'panel 1 (timeseries) fieldConfig.defaults.custom.drawStyle: "bar" is none of "bars", "line", "points"',
    'panel 2 (table) options.footer: no such option',
    'panel 3 (graph): not a panel type these tests know (graph and table-old are gone: timeseries, table)',
    'panel 4 (table) override "a" custom.colour: no such field option',
  ]);
});

const byFile = loadDashboards().map(({ file, dashboard }) => [file, dashboard] as const);
test.each(byFile)('%s: every key and enum value is one Grafana 13 knows', (_file, dashboard) => {
  expect(schemaProblems(dashboard)).toEqual([]);
});
