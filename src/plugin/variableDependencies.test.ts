import type { TypedVariableModel } from '@grafana/data';
import { referencedNames, variablesLeftOut } from './variableDependencies';

test('a reference to a field of a variable (${name.path}, with a format or not) names the variable, as Grafana reads it', () => {
  expect(referencedNames('${user.text} and ${region.value:raw} before $account')).toEqual(new Set(['user', 'region', 'account']));
});

test('a variable referring to a field of the one edited is left out too: Grafana counts it as depending on it', () => {
  const query = { refId: 'v', dimension: 'user' };
  const variables = [
    { name: 'user', type: 'query', query },
    { name: 'userRole', type: 'query', query: { refId: 'v', dimension: 'role', search: '${user.text}' } },
    { name: 'region', type: 'query', query: { refId: 'v', dimension: 'region' } },
  ] as unknown as TypedVariableModel[];
  expect(variablesLeftOut(query, query, variables)).toEqual(new Set(['user', 'userRole']));
});
