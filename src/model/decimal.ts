// A number typed or sent as text (a Grafana variable's "3", a CLI flag, a provisioned YAML value), read as decimal only:
// Number() also reads "0x10" as 16, "0b1" as 1 and "Infinity", which no one means as a limit, a window or a timeout.

/** A decimal text; its groups: the digits before the point, after it (or after a leading point), the exponent. */
export const DECIMAL_TEXT = /^\s*[+-]?(?:(\d+)\.?(\d*)|\.(\d+))(?:e([+-]?\d+))?\s*$/i;

/** The number a decimal text holds, or NaN for any other text (the caller's check then refuses it, naming the field). */
export const decimalNumber = (text: string): number => (DECIMAL_TEXT.test(text) ? Number(text) : NaN);

/**
 * The whole number a decimal text holds, or NaN for any other text, a fraction included however many digits it has:
 * Number() reads 10000.0000000000000001 as 10000. The exponent counts: 1e3, 1.5e1 and 100e-2 are whole.
 */
export function wholeDecimalNumber(text: string): number {
  const parts = DECIMAL_TEXT.exec(text);
  if (!parts) return NaN;
  const digits = (parts[1] ?? '') + (parts[2] ?? parts[3] ?? '');
  // How many of the digits the exponent leaves after the point: each must be 0.
  const after = (parts[2] ?? parts[3] ?? '').length - Number(parts[4] ?? 0);
  return after <= 0 || /^0*$/.test(digits.slice(-after)) ? Number(text) : NaN;
}
