import { closestName, didYouMean } from './closest';

const FIELDS = ['queryType', 'format', 'groupBy', 'limit', 'role', 'user', 'sourceIp', 'totals', 'trails'];

test.each([
  ['groupby', 'groupBy'],
  ['SOURCEIP', 'sourceIp'],
  ['limt', 'limit'],
  ['lmiit', 'limit'],
  ['users', 'user'],
  ['total', 'totals'],
  ['fromat', 'format'],
  ['queryTypes', 'queryType'],
])('%s is taken for %s', (given, meant) => {
  expect(closestName(given, FIELDS)).toBe(meant);
});

test.each([
  // Short names are too near each other to guess: "rol" could be role, or anything else of three letters.
  ['rol'],
  ['x'],
  // Two edits away.
  ['grupbay'],
  ['totl'],
  // The name itself is no mistake to correct.
  ['groupBy'],
])('%s is taken for none', (given) => {
  expect(closestName(given, FIELDS)).toBeUndefined();
});

test('one edit from two names guesses neither', () => {
  expect(closestName('rolf', ['role', 'rold'])).toBeUndefined();
  expect(didYouMean('rolf', ['role', 'rold'])).toBe('');
  expect(didYouMean('rolee', ['role', 'user'])).toBe(' (did you mean role?)');
});
