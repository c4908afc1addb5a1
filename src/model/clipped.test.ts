import { clipped, MAX_TEXT_CHARS } from './clipped';

test('a text no longer than the cap is given back as it is', () => {
  expect(clipped('disk full')).toBe('disk full');
  const atCap = 'x'.repeat(MAX_TEXT_CHARS);
  expect(clipped(atCap)).toBe(atCap);
});

test('a longer one keeps its start and says how many characters it left out', () => {
  const long = `${'a'.repeat(MAX_TEXT_CHARS)}${'b'.repeat(20_000_000)}`;
  expect(clipped(long)).toBe(`${'a'.repeat(MAX_TEXT_CHARS)}… (20000000 more characters)`);
  expect(clipped('0123456789', 4)).toBe('0123… (6 more characters)');
});

test('a cut never splits a surrogate pair: the pair goes whole to what is left out', () => {
  const text = `abc😀def`; // the emoji is two UTF-16 units, at 3 and 4
  expect(clipped(text, 4)).toBe('abc… (5 more characters)');
  expect(clipped(text, 5)).toBe('abc😀… (3 more characters)');
  expect(clipped(text, 4).toWellFormed()).toBe(clipped(text, 4));
});
