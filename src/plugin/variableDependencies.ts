// Which dashboard variables the variable editor must not offer: the variable being edited, and those that depend on
// it. Either would make the variable depend on itself, which Grafana reports as a circular dependency.
import type { TypedVariableModel } from '@grafana/data';

// $name, ${name}, ${name:format}, ${name.field}, [[name]], [[name:format]]: the forms Grafana replaces (and counts as
// dependencies: ${name.field} too).
const REFERENCE = /\$(\w+)|\$\{(\w+)(?:\.[^:}]+)?(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]/g;

/** The variable names a text refers to. */
export function referencedNames(text: string): Set<string> {
  return new Set([...text.matchAll(REFERENCE)].map((m) => m[1] ?? m[2] ?? m[3]));
}

/** Key order aside, the same JSON: a stored query and the editor's copy of it. */
function canonical(value: unknown): string {
  const json = JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v
  );
  // A query never set (undefined) has no JSON; it still matches only another never set.
  return json ?? 'undefined';
}

/**
 * The text of a variable that Grafana reads other variables from, as its own dependency scan does. A text box's or a
 * constant's `query` is its value, not a query: a value that happens to contain "$name" is no dependency.
 */
function dependencyText(variable: TypedVariableModel): string {
  if (variable.type === 'textbox' || variable.type === 'constant') {
    return '';
  }
  const v = variable as Partial<Record<'query' | 'datasource' | 'regex', unknown>>;
  return canonical([v.query ?? null, v.datasource ?? null, v.regex ?? null]);
}

/**
 * The names to leave out of the editor's variable list. Grafana does not tell a variable's query editor which variable
 * it edits (its props are the query, the data source and callbacks), so the edited one is found by its query: the
 * dashboard's query variable whose stored query is the query the editor was opened with (Grafana's editor drawer works
 * on a draft, and the dashboard keeps that query until Apply) or the one it holds now (the settings view edits the
 * variable in place). Two variables with the same query both go: the twin is no choice worth keeping, and leaving the
 * edited one in is the failure this prevents. Then, repeatedly, every variable referring to one already left out.
 */
export function variablesLeftOut(opened: unknown, editing: unknown, variables: TypedVariableModel[]): Set<string> {
  const queries = new Set([canonical(opened), canonical(editing)]);
  const leftOut = new Set(variables.filter((v) => v.type === 'query' && queries.has(canonical(v.query))).map((v) => v.name));
  if (leftOut.size === 0) {
    return leftOut;
  }
  const references = new Map(variables.map((v) => [v.name, referencedNames(dependencyText(v))]));
  for (let grew = true; grew; ) {
    grew = false;
    for (const [name, refs] of references) {
      if (!leftOut.has(name) && [...refs].some((r) => leftOut.has(r))) {
        leftOut.add(name);
        grew = true;
      }
    }
  }
  return leftOut;
}
