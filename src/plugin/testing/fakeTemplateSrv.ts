// A stand-in for Grafana's TemplateSrv: there is no Grafana server in these tests, so variables are a plain map
// and replace() follows Grafana's rules closely enough ($name, ${name}, [[name]], custom format functions, and a format
// written in the text winning over the one given, of which csv, pipe and text are known).
import type { ScopedVars, TypedVariableModel } from '@grafana/data';
import type { TemplateSrv } from '@grafana/runtime';

type Formatter = (value: string | string[]) => string;

/**
 * variables: each one's value; models: what getVariables() tells of some of them beyond a name (type, query …), read
 * at each call, so a test can change a variable as Grafana's editor would.
 */
export function fakeTemplateSrv(variables: Record<string, string | string[]>, models: Record<string, Partial<TypedVariableModel>> = {}): TemplateSrv {
  // Grafana's variable pattern: $name, [[name:format]], ${name.fieldPath:format}.
  const pattern = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;
  return {
    getVariables: () => Object.keys(variables).map((name) => ({ name, type: 'custom', ...models[name] }) as unknown as TypedVariableModel),
    replace(target?: string, scopedVars?: ScopedVars, format?: string | ((value: unknown) => string)): string {
      return (target ?? '').replace(pattern, (match, a, b, written2, c, _fieldPath, written3) => {
        const name = a ?? b ?? c;
        const value = scopedVars?.[name]?.value ?? variables[name];
        if (value === undefined) {
          return match;
        }
        const used = written2 || written3 || format;
        if (typeof used === 'function') {
          return (used as Formatter)(value);
        }
        const values: string[] = Array.isArray(value) ? value : [String(value)];
        if (used === 'csv' || used === 'pipe' || used === 'text') {
          return values.join({ csv: ',', pipe: '|', text: ' + ' }[used as string]);
        }
        return Array.isArray(value) ? `{${value.join(',')}}` : String(value);
      });
    },
    containsTemplate: (target?: string) => Boolean(target && /\$\w+|\$\{\w+\}|\[\[\w+\]\]/.test(target)),
    updateTimeRange: () => {},
  } as unknown as TemplateSrv;
}
