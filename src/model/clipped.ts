// Text cut to a length a reader can take: an error's message, a log line's strings. Shared by the service and the
// plugin backend.

/**
 * The most characters an error's message keeps (messageOf), and each string in a service log line: far more than any
 * message of ours, a key (1,024 bytes at most) or a stack needs. A server's error text, a file's reason or a chain of
 * causes can be megabytes, and went whole into each log line, the ingestion status and a Grafana panel's error.
 */
export const MAX_TEXT_CHARS = 8192;

/** `text`'s first `keep` characters, then how many more there were; `text` itself when it is no longer. */
export function clipped(text: string, keep = MAX_TEXT_CHARS): string {
  if (text.length <= keep) return text;
  // Not between the two halves of a surrogate pair: one half alone is not a character.
  const end = keep > 0 && /[\ud800-\udbff]/.test(text[keep - 1]) ? keep - 1 : keep;
  return `${text.slice(0, end)}… (${text.length - end} more characters)`;
}
