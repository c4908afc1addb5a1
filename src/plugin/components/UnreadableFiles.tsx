// The newest few log files ingestion could not read, on the settings page: where an admin looks first when the
// Errors count is not 0. The full list is the Ingestion dashboard's (and `trailhound report ingest --errors`).
import { ClipboardButton, Stack, Text, useTheme2 } from '@grafana/ui';
import type { IngestErrors } from '../../model/api';
import { formatCounted, formatTime, shortKey } from './format';

/** How many the settings page lists: enough to see a pattern, few enough to keep the page short and its call cheap. */
export const SHOWN_UNREADABLE = 5;

interface Props {
  /** The service's answer, or why there is none. */
  unreadable: { list: IngestErrors } | { error: string };
}

export function UnreadableFiles({ unreadable }: Props) {
  const theme = useTheme2();
  const cell = { padding: theme.spacing(0.5, 1.5, 0.5, 0), verticalAlign: 'top', textAlign: 'left' } as const;
  const head = { ...cell, color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightRegular };
  const elsewhere = (
    <>
      the <b>CloudTrail Ingestion</b> dashboard lists them all, as does <code>trailhound report ingest --errors</code>
    </>
  );
  if ('error' in unreadable) {
    return (
      <Text element="p" color="warning">
        Could not list the unreadable files: {unreadable.error}. Meanwhile {elsewhere}.
      </Text>
    );
  }
  const { total, errors } = unreadable.list;
  if (errors.length === 0) return null;
  return (
    <section aria-label="Unreadable files" style={{ marginBottom: theme.spacing(2) }}>
      <Text element="h6">{total > errors.length ? `The newest ${errors.length} of ${formatCounted(total, 'unreadable file')}` : 'Unreadable files'}</Text>
      {/* Fixed layout: a long key or reason wraps or is cut inside its column instead of widening the page. */}
      <table style={{ width: '100%', tableLayout: 'fixed', borderCollapse: 'collapse', margin: theme.spacing(0.5, 0, 1) }}>
        <colgroup>
          <col style={{ width: '13em' }} />
          <col style={{ width: '15%' }} />
          <col style={{ width: '40%' }} />
          <col />
        </colgroup>
        <thead>
          <tr>
            <th style={head}>When</th>
            <th style={head}>Source</th>
            <th style={head}>Key</th>
            <th style={head}>Reason</th>
          </tr>
        </thead>
        <tbody>
          {errors.map((e) => (
            <tr key={`${e.source}\u0000${e.key}`}>
              <td style={cell}>{formatTime(e.failedAt)}</td>
              <td style={{ ...cell, overflowWrap: 'anywhere' }}>{e.source}</td>
              <td style={cell}>
                <Stack direction="row" gap={0.5} alignItems="flex-start">
                  {/* The file name says account, region and time; the folders before it are on hover and in the copy. It
                      wraps rather than being cut: its end (time, id) is what tells files apart. */}
                  <span title={e.key} style={{ overflowWrap: 'anywhere', minWidth: 0 }}>
                    {shortKey(e.key)}
                  </span>
                  <ClipboardButton size="sm" variant="secondary" fill="text" icon="copy" getText={() => e.key} aria-label={`Copy the key ${e.key}`} />
                </Stack>
              </td>
              <td style={{ ...cell, overflowWrap: 'anywhere' }}>
                {e.reason}
                {/* A file that ran out of memory, or whose download was refused, waits longer after each failure: when, so nobody
                    waits on the next poll for it. */}
                {e.retryAt && (
                  <Text element="p" variant="bodySmall" color="secondary">
                    Tried again {formatTime(e.retryAt)}
                  </Text>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Text element="p" variant="bodySmall" color="secondary">
        Newest failure first. A file is read again once it changes, a failed download at the next poll, one that ran out of memory or whose
        download was denied when its row says (a backfill tries a denied one at once);{' '}
        {elsewhere}.
      </Text>
    </section>
  );
}
