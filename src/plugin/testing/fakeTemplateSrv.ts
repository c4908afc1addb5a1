// A stand-in for Grafana's TemplateSrv: there is no Grafana server in these tests, so variables are a plain map
// and replace() follows Grafana's rules closely enough ($name, ${name}, [[name]], custom format functions).
import type { ScopedVars, TypedVariableModel } from '@grafana/data';
import type { TemplateSrv } from '@grafana/runtime';

type Formatter = (value: string | string[]) => string;

/**
 * variables: each one's value; models: what getVariables() tells of some of them beyond a name (type, query …), read
 * at each call, so a test can change a variable as Grafana's editor would.
 */
export function fakeTemplateSrv(variables: Record<string, string | string[]>, models: Record<string, Partial<TypedVariableModel>> = {}): TemplateSrv {
  const pattern = /\$(\w+)|\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]/g;
  return {
    getVariables: () => Object.keys(variables).map((name) => ({ name, type: 'custom', ...models[name] }) as unknown as TypedVariableModel),
    replace(target?: string, scopedVars?: ScopedVars, format?: string | ((value: unknown) => string)): string {
      return (target ?? '').replace(pattern, (match, a, b, c) => {
        const name = a ?? b ?? c;
        const value = scopedVars?.[name]?.value ?? variables[name];
        if (value === undefined) {
          return match;
        }
        if (typeof format === 'function') {
          return (format as Formatter)(value);
        }
        return Array.isArray(value) ? `{${value.join(',')}}` : String(value);
      });
    },
    containsTemplate: (target?: string) => Boolean(target && /\$\w+|\$\{\w+\}|\[\[\w+\]\]/.test(target)),
    updateTimeRange: () => {},
  } as unknown as TemplateSrv;
}
