// A run that found no log file at all in its window, not even one read before: a mistyped source (a folder that is
// there, but the wrong one), or logs older than the window. Its summary alone ("0 log files") read as a success.
import type { IngestSummary } from './ingest';

/** "found no log files under <source> from <day> to <day>" for such a run (`ingest` warns it, `serve` logs it); else undefined. */
export function foundNoLogs(summary: IngestSummary): string | undefined {
  const { objects, unchanged, skipped, errors, unreadable, waiting, denied } = summary;
  if (summary.stopped || objects + unchanged + skipped + errors + unreadable + waiting + denied > 0) return undefined;
  return `found no log files under ${summary.source} from ${summary.window.from} to ${summary.window.to}`;
}
