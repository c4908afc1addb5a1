// A number typed or sent as text (a Grafana variable's "3", a CLI flag, a provisioned YAML value), read as decimal only:
// Number() also reads "0x10" as 16, "0b1" as 1 and "Infinity", which no one means as a limit, a window or a timeout.

export const DECIMAL_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i;

/** The number a decimal text holds, or NaN for any other text (the caller's check then refuses it, naming the field). */
export const decimalNumber = (text: string): number => (DECIMAL_TEXT.test(text) ? Number(text) : NaN);
