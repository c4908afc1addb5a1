import vm from 'node:vm';
import { MAX_TEXT_CHARS } from './clipped';
import { messageOf } from './errorMessage';

test("an error's message is its words alone, an Error of this realm's or another's (DuckDB's under jest, a vm context's)", () => {
  expect(messageOf(new Error('disk full'))).toBe('disk full');
  expect(messageOf(new TypeError('x is not a function'))).toBe('x is not a function');
  const foreign: unknown = vm.runInNewContext('new Error("from another realm")');
  expect(foreign instanceof Error).toBe(false);
  expect(messageOf(foreign)).toBe('from another realm');
});

test('anything else thrown is said as a string', () => {
  expect(messageOf('a string')).toBe('a string');
  expect(messageOf(42)).toBe('42');
  expect(messageOf(undefined)).toBe('undefined');
  expect(messageOf(null)).toBe('null');
  expect(messageOf({ message: 7 })).toBe('[object Object]');
});

test("a message of megabytes (a server's error text, a chain's causes) is cut, its start kept", () => {
  const said = messageOf(new Error(`Access denied: ${'<html>'.repeat(4_000_000)}`));
  expect(said.length).toBeLessThan(MAX_TEXT_CHARS + 40);
  expect(said).toMatch(/^Access denied: <html><html>.*… \(\d+ more characters\)$/);
  expect(messageOf('x'.repeat(MAX_TEXT_CHARS + 1))).toBe(`${'x'.repeat(MAX_TEXT_CHARS)}… (1 more characters)`);
});
