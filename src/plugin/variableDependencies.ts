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
 * Which variable Grafana's dashboard settings view edits: its URL names it by its place in the dashboard's list
 * (`editview=variables&editIndex=2`). Grafana's variable drawer says nothing of the kind.
 */
export function settingsViewIndex(search: Record<string, unknown>): number | undefined {
  const index = Number(search.editIndex);
  return search.editview === 'variables' && Number.isInteger(index) && index >= 0 ? index : undefined;
}

/**
 * The names to leave out of the editor's variable list. Grafana does not tell a variable's query editor which variable
 * it edits (its props are the query, the data source and callbacks), so the edited one is found by its query: the
 * dashboard's query variable whose stored query is the query the editor was opened with (Grafana's editor drawer works
 * on a draft, and the dashboard keeps that query until Apply) or the one it holds now (the settings view edits the
 * variable in place). Two variables with the same query (a twin, as Duplicate makes) are told apart by `editedIndex`,
 * the settings view's (settingsViewIndex): the variable there, if it holds one of those queries, is the one edited,
 * and its twin an ordinary choice. Without it (the drawer) both go: leaving the edited one in is the failure this
 * prevents. Then, repeatedly, every variable referring to one already left out.
 */
export function variablesLeftOut(opened: unknown, editing: unknown, variables: TypedVariableModel[], editedIndex?: number): Set<string> {
  const queries = new Set([canonical(opened), canonical(editing)]);
  const holdsQuery = (v: TypedVariableModel) => v.type === 'query' && queries.has(canonical(v.query));
  const named = editedIndex === undefined ? undefined : variables[editedIndex];
  // A place that holds another query is not trusted (a list Grafana orders otherwise): the query alone decides then.
  const edited = named && holdsQuery(named) ? [named] : variables.filter(holdsQuery);
  const leftOut = new Set(edited.map((v) => v.name));
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
