// An error's message for a person, whatever was thrown: shared by the service, the CLI and the backend.
import { clipped } from './clipped';

/**
 * An error's message, else the thrown value as a string, cut at MAX_TEXT_CHARS (clipped). By its `message`, not by
 * `instanceof Error`: an error made in another realm is no instance of this one's Error (DuckDB's, under jest; a vm
 * context's), and String() of it would add "Error: " before the words.
 */
export function messageOf(err: unknown): string {
  const message = (err as { message?: unknown } | null | undefined)?.message;
  return clipped(typeof message === 'string' ? message : String(err));
}
