import type { TypedVariableModel } from '@grafana/data';
import { referencedNames, settingsViewIndex, variablesLeftOut } from './variableDependencies';

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

describe('twins, two variables of one query', () => {
  const query = { refId: 'v', dimension: 'user' };
  const variables = [
    { name: 'user', type: 'query', query },
    { name: 'userRole', type: 'query', query: { refId: 'v', dimension: 'role', search: '$user' } },
    { name: 'copy_of_user', type: 'query', query: { ...query } },
    { name: 'copyRole', type: 'query', query: { refId: 'v', dimension: 'role', search: '$copy_of_user' } },
  ] as unknown as TypedVariableModel[];

  test('the variable at the settings view\'s place is the one edited: its twin, and what depends on the twin, stay', () => {
    expect(variablesLeftOut(query, query, variables, 2)).toEqual(new Set(['copy_of_user', 'copyRole']));
    expect(variablesLeftOut(query, query, variables, 0)).toEqual(new Set(['user', 'userRole']));
  });

  test('a place holding another query, or none, is not trusted: both twins go', () => {
    for (const place of [1, 9, undefined]) {
      expect(variablesLeftOut(query, query, variables, place)).toEqual(new Set(['user', 'userRole', 'copy_of_user', 'copyRole']));
    }
  });
});

test("the settings view's place is read from its URL, and only there", () => {
  expect(settingsViewIndex({ editview: 'variables', editIndex: '2' })).toBe(2);
  expect(settingsViewIndex({ editview: 'variables', editIndex: 0 })).toBe(0);
  const elsewhere = [{}, { editview: 'variables' }, { editview: 'links', editIndex: '2' }, { editview: 'variables', editIndex: '-1' }];
  for (const search of [...elsewhere, { editview: 'variables', editIndex: 'x' }]) {
    expect(settingsViewIndex(search)).toBeUndefined();
  }
});
