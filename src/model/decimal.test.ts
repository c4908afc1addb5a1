import { decimalNumber, wholeDecimalNumber } from './decimal';

test.each([
  ['3', 3],
  [' 7 ', 7],
  ['+5', 5],
  ['0', 0],
  ['-4', -4],
  ['30.000', 30],
  ['1e3', 1000],
  ['1.5e1', 15],
  ['100e-2', 1],
  ['.5e1', 5],
  ['0.0e-9', 0],
])('wholeDecimalNumber(%j) is %d', (text, n) => {
  expect(wholeDecimalNumber(text)).toBe(n);
});

// Number() rounds the first three to 10000, 30 and 1: a fraction is no whole number however many digits it has.
test.each(['10000.0000000000000001', '30.0000000000000001', '0.99999999999999999999', '2.5', '1e-400', '15e-1', '0x10', 'Infinity', '', '5 5'])(
  'wholeDecimalNumber(%j) is NaN',
  (text) => {
    expect(wholeDecimalNumber(text)).toBeNaN();
  }
);

test('decimalNumber still reads a fraction, as a timeout in seconds may have one', () => {
  expect(decimalNumber('2.5')).toBe(2.5);
  expect(decimalNumber('0x10')).toBeNaN();
});
