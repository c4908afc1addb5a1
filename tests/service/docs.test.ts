// The docs against the code they describe: links that lead somewhere, every TRAILHOUND_* variable the code reads
// documented, README's configuration table agreeing with the commands' own flags and --help, the commands the docs
// show using flags that exist, the query model's tables agreeing with the model, the API tables with the routes.
// Cheap: no process, no database; the CLI is built in-process, as --help builds it.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { API_ERROR_CODES, ERROR_KINDS } from '../../src/model/api';
import {
  AGGREGATES,
  DEFAULT_QUERY,
  DIMENSIONS,
  FILTER_KEYS,
  FORMATS,
  GROUP_BYS,
  INGEST_VIEWS,
  MFA,
  MODEL_KEYS,
  QUERY_TYPES,
  READ_ONLY,
  SERVICE_CALLS,
  STATUSES,
  TIME_FIELDS,
} from '../../src/model/query';
import { buildCli } from '../../src/service/cli';
import { anchorsOf, prose, readDoc as read, ROOT, sectionAt } from '../support/markdown';
import { loadAlertRules, loadDashboards, loadYaml } from '../dashboards/support';

const DOCS = ['README.md', 'docs/DESIGN.md', 'docs/runbooks.md', 'src/backend/README.md', 'src/plugin/README.md', 'dashboards/README.md', 'CHANGELOG.md'];

test.each(DOCS)('%s: every relative link names a file that is there, and every #anchor a heading of its file', (file) => {
  const broken: string[] = [];
  for (const [, target] of prose(read(file)).matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(target)) continue;
    const [linked, hash] = target.split('#');
    const into = linked ? path.normalize(path.join(path.dirname(file), linked)) : file;
    if (!fs.existsSync(path.join(ROOT, into))) broken.push(`${target}: no file ${into}`);
    else if (hash !== undefined && into.endsWith('.md') && !anchorsOf(into).has(hash)) broken.push(`${target}: no heading of ${into} has that anchor`);
  }
  expect(broken).toEqual([]);
});

/** The source files (not tests) of a folder, recursively. */
function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(rel);
    return /\.(ts|tsx|mjs)$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [rel] : [];
  });
}

test('every TRAILHOUND_* variable the code reads is documented (the service in README.md, the plugin in its backend README)', () => {
  const code = [...sources('src'), ...sources('scripts')].map(read).join('\n');
  // Read through config.ts's env('NAME') and envPositiveInt('NAME'), or named whole.
  const names = new Set([
    ...[...code.matchAll(/\benv(?:PositiveInt)?\('([A-Z0-9_]+)'\)/g)].map((m) => `TRAILHOUND_${m[1]}`),
    ...[...code.matchAll(/\bTRAILHOUND_[A-Z0-9_]*[A-Z0-9]\b/g)].map((m) => m[0]),
  ]);
  // Enough variables to be the real list, not a pattern that stopped matching.
  expect(names.size).toBeGreaterThanOrEqual(12);
  const documented = read('README.md') + read('src/backend/README.md');
  expect([...names].filter((name) => !new RegExp(`\\b${name}\\b`).test(documented)).sort()).toEqual([]);
});

/** README's configuration table: its rows' flag, variable and commands cells. */
function configurationRows(): Array<{ flag?: string; variable?: string; commands: string; defaults: string }> {
  const section = read('README.md').split(/^## Configuration$/m)[1].split(/^## /m)[0];
  const rows = section.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| flag') && !line.startsWith('|---'));
  return rows.map((row) => {
    const [flag, variable, commands, defaults] = row.split('|').slice(1, 5).map((cell) => cell.trim());
    const code = (cell: string) => /^`([^`]+)`$/.exec(cell)?.[1];
    return { flag: code(flag), variable: code(variable), commands, defaults };
  });
}

/** Every command a user runs, by its name as README writes it (`trails sync`). */
function commands(): Map<string, Command> {
  const all = new Map<string, Command>();
  const walk = (command: Command, prefix: string) => {
    for (const sub of command.commands) {
      const name = `${prefix}${sub.name()}`;
      if (sub.commands.length > 0) walk(sub, `${name} `);
      else all.set(name, sub);
    }
  };
  walk(buildCli(), '');
  return all;
}

/**
 * The commands a row's "commands" cell names (`serve`, `ingest` …, or "all but `generate`"; its remarks in brackets
 * left out), and those it says have no flag for it: "`report` (no flag: …)".
 */
function named(cell: string, all: Map<string, Command>): { names: string[]; noFlag: string[] } {
  const listed = [...cell.replace(/\([^)]*\)/g, '').matchAll(/`([a-z ]+)`/g)].map((m) => m[1]);
  const noFlag = [...cell.matchAll(/`([a-z ]+)` \(no flag/g)].map((m) => m[1]);
  if (cell.startsWith('all but')) return { names: [...all.keys()].filter((name) => !listed.includes(name)), noFlag };
  return { names: listed, noFlag };
}

function help(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (s) => (text += s) });
  command.outputHelp();
  return text.replace(/\s+/g, ' ');
}

test("README's configuration table names the flags each command has, and the variables its --help names", () => {
  const all = commands();
  const rows = configurationRows();
  expect(rows.length).toBeGreaterThanOrEqual(10);
  const wrong: string[] = [];
  for (const { flag, variable, commands: cell, defaults } of rows) {
    // The default cell says which commands need the setting: "`ingest`: required".
    const required = [...defaults.matchAll(/`([a-z ]+)`: required/g)].map((m) => m[1]);
    // A setting of every command (TRAILHOUND_DEBUG) is in the help of the command itself, trailhound --help.
    if (cell === 'all') {
      if (!variable || !help(buildCli()).includes(variable)) wrong.push(`${flag ?? variable}: trailhound --help does not name it`);
      continue;
    }
    const { names, noFlag } = named(cell, all);
    if (names.length === 0) wrong.push(`${flag ?? variable}: names no command`);
    for (const name of names) {
      const command = all.get(name);
      if (!command) {
        wrong.push(`${flag ?? variable}: no command ${name}`);
        continue;
      }
      const option = flag === undefined ? undefined : command.options.find((o) => o.long === flag);
      if (flag && !!option === noFlag.includes(name)) {
        wrong.push(`${flag}: ${name} ${option ? 'has the flag, which the table says it has not' : 'has no such flag'}`);
      }
      // Its help says "required: " where the table does (cli.ts adds it to commander's mandatory options).
      if (option && option.description.startsWith('required:') !== required.includes(name)) {
        const says = required.includes(name) ? 'does not say it is required, as the table does' : 'says it is required, the table does not';
        wrong.push(`${flag}: ${name} --help ${says}`);
      }
      // A variable beside a flag is named in the flag's help; one without, or a flag the command has not, in the
      // help's "Environment (no flag)" list.
      if (variable && !help(command).includes(variable)) wrong.push(`${variable}: ${name} --help does not name it`);
    }
  }
  expect(wrong).toEqual([]);
});

test('every flag of the commands that read or write the database is in the configuration table (report has its own section)', () => {
  const documented = new Set(configurationRows().map((row) => row.flag));
  const missing: string[] = [];
  for (const [name, command] of commands()) {
    if (name === 'report' || name === 'generate') continue;
    for (const option of command.options) {
      // --json and --help choose the output, not a setting.
      if (option.long && !['--json', '--help'].includes(option.long) && !documented.has(option.long)) missing.push(`${name} ${option.long}`);
    }
  }
  expect(missing).toEqual([]);
});

test("the docs' commands use only flags those commands have (`report --format list`, `npx trailhound ingest --source …`)", () => {
  const all = commands();
  const names = [...all.keys()].sort((a, b) => b.length - a.length).map((name) => name.replace(' ', '\\s+'));
  // A command's name, then its words up to the end of the span, a comment or the next command of a pipeline.
  const use = new RegExp(`(?<![\\w:/.-])(${names.join('|')})(?![\\w-])((?:[ \\t]+[^\\s#&|;\`]+)*)`, 'g');
  const wrong: string[] = [];
  let uses = 0;
  for (const file of DOCS) {
    const text = read(file);
    // Shell lines without their comments, which are prose.
    const code = [...text.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].flatMap((m) => m[1].split('\n').map((line) => line.replace(/(^|\s)#.*$/, '')));
    const spans = [...prose(text).matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);
    for (const span of [...code, ...spans]) {
      for (const [, name, words] of span.matchAll(use)) {
        const command = all.get(name.replace(/\s+/, ' '))!;
        for (const flag of words.match(/(?<=\s)--[a-z][a-z0-9-]*/g) ?? []) {
          uses++;
          if (flag !== '--help' && !command.options.some((o) => o.long === flag)) wrong.push(`${file}: ${name} ${flag}`);
        }
      }
    }
  }
  // Enough flags seen to be the docs' examples, not a pattern that stopped matching.
  expect(uses).toBeGreaterThanOrEqual(50);
  expect([...new Set(wrong)]).toEqual([]);
});

/** A Markdown table's rows whose first cell is a code span, by that name: the row's other cells. */
function tableRows(section: string): Map<string, string[]> {
  const rows = section.split('\n').filter((line) => /^\| `[^`]+` \|/.test(line));
  return new Map(rows.map((row) => {
    const [name, ...cells] = row.split(/ \| /).map((cell) => cell.replace(/^\| |\|$/g, '').trim());
    return [name.replace(/`/g, ''), cells];
  }));
}

/** A cell's leading list of code spans (`events`, `totals` (…), `trails`), its remarks in brackets left out. */
const leadingValues = (cell: string) => {
  const list = cell.replace(/\([^()]*\)/g, '').split(/[:.](?=\s|$)/)[0];
  return [...list.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
};

/** The query model's choices, default first, as every client offers them. */
const CHOICES: Record<string, readonly string[]> = {
  queryType: QUERY_TYPES,
  ingestView: INGEST_VIEWS,
  format: FORMATS,
  groupBy: GROUP_BYS,
  aggregate: AGGREGATES,
  status: STATUSES,
  readOnly: READ_ONLY,
  mfa: MFA,
  timeField: TIME_FIELDS,
  serviceCalls: SERVICE_CALLS,
};

test("README's query table has every field of the query model, each choice field's values in the model's order (default first)", () => {
  const section = read('README.md').split('A query is the one model every report uses')[1].split('\n\n')[1];
  const rows = tableRows(section);
  expect([...rows.keys()].sort()).toEqual([...MODEL_KEYS].sort());
  for (const [field, values] of Object.entries(CHOICES)) {
    expect([field, leadingValues(rows.get(field)![0])]).toEqual([field, [...values]]);
    expect([field, values[0]]).toEqual([field, DEFAULT_QUERY[field as keyof typeof DEFAULT_QUERY]]);
  }
  expect(rows.get('filters')![0]).toContain(`\`{${FILTER_KEYS.join(', ')}}\``);
});

test("DESIGN's query model table agrees with the model: its fields, their values, and the filters' keys", () => {
  const section = read('docs/DESIGN.md').split(/^## The query model/m)[1].split(/^## /m)[0];
  const rows = tableRows(section);
  // mfa came later, and is described under "Where the implementation differs".
  expect([...rows.keys()].sort()).toEqual(MODEL_KEYS.filter((key) => key !== 'mfa').sort());
  for (const [field, values] of Object.entries(CHOICES)) {
    if (rows.has(field)) expect([field, leadingValues(rows.get(field)![0])]).toEqual([field, [...values]]);
  }
  expect(rows.get('filters')![0]).toContain(`\`{ ${FILTER_KEYS.map((key) => `${key}?`).join(', ')} }\``);
});

test("the value lists' dimensions, as README's and DESIGN's API tables name them, are the model's", () => {
  const readme = tableRows(read('README.md')).get('GET /api/values/<dimension>?from&to&q&limit&timeField&filters&exclude')![0];
  expect(leadingValues(readme.replace(/^distinct values of /, ''))).toEqual([...DIMENSIONS]);
  const design = tableRows(read('docs/DESIGN.md')).get('GET /api/values/<dimension>?from&to&q&limit&timeField&filters&exclude')![0];
  expect(design).toContain(`distinct values of ${DIMENSIONS.join(', ')} —`);
});

test("README's and DESIGN's API tables list the service's routes, every one of them", () => {
  // The routes as server.ts registers them (app.get('/api/values/:dimension', …)), a parameter written ":".
  const routes = [...read('src/service/api/server.ts').matchAll(/\bapp\.(get|post|put|delete|patch)\('([^']+)'/g)].map(
    ([, method, url]) => `${method.toUpperCase()} ${url.replace(/:\w+/g, ':')}`
  );
  expect(routes.length).toBeGreaterThanOrEqual(9);
  for (const file of ['README.md', 'docs/DESIGN.md']) {
    // Documented as `GET /api/values/<dimension>?from&to…`: its parameter in angle brackets, then the query string.
    const documented = [...tableRows(read(file)).keys()]
      .filter((name) => /^(GET|POST|PUT|DELETE|PATCH) \//.test(name))
      .map((name) => name.split('?')[0].replace(/<[^>]+>/g, ':'));
    expect([file, [...documented].sort()]).toEqual([file, [...routes].sort()]);
  }
});

test("README's and DESIGN's tables of the API's error codes list API_ERROR_CODES, in its order, each with a status", () => {
  for (const file of ['README.md', 'docs/DESIGN.md']) {
    const [, after] = read(file).split(/^\| code \| status \| [^|]+\|$/m);
    expect([file, after]).toEqual([file, expect.any(String)]);
    const table = after.split('\n\n')[0];
    const rows = [...tableRows(table)];
    expect([file, rows.map(([code]) => code)]).toEqual([file, [...API_ERROR_CODES]]);
    // Each row's status: the HTTP statuses the code comes with.
    for (const [code, [status]] of rows) expect([file, code, status]).toEqual([file, code, expect.stringMatching(/^\d{3}(, \d{3})*$/)]);
  }
});

test("README's table of error kinds has every kind the service names, in ERROR_KINDS' order, and DESIGN's list names each", () => {
  const [, after] = read('README.md').split(/^\| kind \| meaning \|$/m);
  expect(after).toEqual(expect.any(String));
  // A row's first cell names its kinds (the file kinds share one: `bad-gzip`, `bad-json`, …), its second says what they are.
  const rows = after.split('\n\n')[0].split('\n').filter((line) => line.startsWith('| `')).map((line) => line.split(' | '));
  expect(rows.flatMap(([kinds]) => [...kinds.matchAll(/`([^`]+)`/g)].map((m) => m[1]))).toEqual([...ERROR_KINDS]);
  for (const [kinds, meaning] of rows) expect([kinds, meaning]).toEqual([kinds, expect.stringMatching(/\w/)]);
  const design = read('docs/DESIGN.md').split('**Error kinds**')[1].split('\n\n')[0];
  expect(ERROR_KINDS.filter((kind) => !design.includes(`\`${kind}\``))).toEqual([]);
});

test("README's Without Docker names the uid the dashboards and rules find their data source by, and the variable its token comes from", () => {
  const [provisioned] = loadYaml('datasources/trailhound.yaml').datasources;
  // Every dashboard's and rule's Trailhound queries name the provisioned data source, by uid: one added by hand has another.
  const uids = new Set<string>();
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') {
      const { datasource } = value as { datasource?: { type?: string; uid?: string } };
      if (datasource?.type === provisioned.type) uids.add(String(datasource?.uid));
      Object.values(value).forEach(collect);
    }
  };
  loadDashboards().forEach(({ dashboard }) => collect(dashboard));
  for (const { rule } of loadAlertRules()) for (const q of rule.data) if (q.datasourceUid !== '__expr__') uids.add(q.datasourceUid);
  expect([...uids]).toEqual([provisioned.uid]);
  const section = sectionAt('README.md', 'without-docker')!.replace(/\s+/g, ' ');
  expect(section).toContain(`by its uid, \`${provisioned.uid}\``);
  expect(read('src/plugin/README.md').replace(/\s+/g, ' ')).toContain(`They find their data source by its uid, \`${provisioned.uid}\``);
  const variable = /^\$(\w+)$/.exec(provisioned.secureJsonData.token)![1];
  expect(section).toContain(`set \`${variable}\` in Grafana's environment to the service's token`);
});
