// Ingestion status of the service behind a saved data source, and the "retrieve older logs" action that
// CloudTrail reporting tools keep on their setup page.
import { ConfigSection } from '@grafana/plugin-ui';
import { Alert, Button, Field, FieldValidationMessage, Input, Label, LoadingPlaceholder, Stack, Text, useTheme2 } from '@grafana/ui';
import { Fragment, useCallback, useEffect, useRef, useState } from 'react';
import type { IngestErrors, IngestStatus } from '../../model/api';
import { wholeDecimalNumber } from '../../model/decimal';
import type { BackfillAnswer } from '../types';
import { formatBackfill, formatCount, formatDays, formatLag, formatRetention, formatSource, formatTime } from './format';
import { SHOWN_UNREADABLE, UnreadableFiles } from './UnreadableFiles';
import { errorMessage } from './useValueLookup';

export interface IngestionSource {
  ingestStatus(): Promise<IngestStatus>;
  ingestErrors(limit: number): Promise<IngestErrors>;
  backfill(days: number): Promise<BackfillAnswer>;
}

interface Props {
  datasource: IngestionSource;
  /** The backend lets only an organization Admin start a backfill; others see why the button is off. */
  canBackfill: boolean;
}

export function IngestionPanel({ datasource, canBackfill }: Props) {
  const theme = useTheme2();
  // Inline styles: the plugin has no stylesheet and needs no CSS-in-JS dependency of its own for a small grid.
  const grid = {
    display: 'grid', gridTemplateColumns: 'max-content auto', columnGap: theme.spacing(3), rowGap: theme.spacing(0.5), margin: theme.spacing(0, 0, 1),
  };
  const term = { color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightRegular };
  const [status, setStatus] = useState<IngestStatus>();
  /** When the status above was read (epoch ms): after a failed refresh, its figures are as of then. */
  const [readAt, setReadAt] = useState<number>();
  const [statusError, setStatusError] = useState<string>();
  /** Whether the newest read of the status has not answered yet: a slow service (up to the timeout) left the panel blank. */
  const [reading, setReading] = useState(false);
  const [unreadable, setUnreadable] = useState<{ list: IngestErrors } | { error: string }>();
  const [days, setDays] = useState('30');
  const [backfill, setBackfill] = useState<{ message: string; error: boolean }>();
  const [busy, setBusy] = useState(false);

  // Each refresh's number: the answer of one overtaken by a newer (Refresh clicked again while the service was slow)
  // says nothing, and a late failure of it would dim the newer figures as "As of" an older read.
  const started = useRef(0);
  const refresh = useCallback(async () => {
    const own = ++started.current;
    const overtaken = () => own !== started.current;
    setReading(true);
    let next: IngestStatus;
    try {
      next = await datasource.ingestStatus();
      if (overtaken()) return;
      setReading(false);
      setStatus(next);
      setReadAt(Date.now());
      setStatusError(undefined);
    } catch (err) {
      if (overtaken()) return;
      setReading(false);
      // The status's error says what is wrong (service down, token); the list would only say it again.
      setStatusError(errorMessage(err));
      setUnreadable(undefined);
      return;
    }
    // Asked for only when there are some, after the status: the page shows the counts without waiting for it.
    if (!(next.errors > 0)) {
      setUnreadable(undefined);
      return;
    }
    try {
      const list = await datasource.ingestErrors(SHOWN_UNREADABLE);
      if (!overtaken()) setUnreadable({ list });
    } catch (err) {
      if (overtaken()) return;
      const { status, data } = (err ?? {}) as { status?: number; data?: { code?: unknown } };
      // A service older than the list has no such endpoint: the backend says so, naming both versions, with the code
      // unknown-endpoint (its words may change); a 404 it did not take for one gets the hint here.
      const told = data?.code === 'unknown-endpoint';
      setUnreadable({ error: `${errorMessage(err)}${status === 404 && !told ? ' (upgrade the Trailhound service)' : ''}` });
    }
  }, [datasource]);

  useEffect(() => {
    refresh();
  }, [refresh]);

  const stale = Boolean(statusError && status);
  const n = wholeDecimalNumber(days);
  // No upper bound: the service reads no further back than CloudTrail began, and its answer says so.
  const daysValid = Number.isInteger(n) && n >= 1;

  const startBackfill = async () => {
    setBusy(true);
    try {
      const answer = await datasource.backfill(n);
      const kept = answer?.retentionDays ? ` (the service keeps ${formatDays(answer.retentionDays)} of events)` : '';
      const began = answer?.cloudTrailBegan ? `, every day since CloudTrail began (${answer.cloudTrailBegan})` : '';
      setBackfill({ message: `Retrieving the last ${formatDays(answer?.days ?? n)} of logs${began}${kept}. Refresh to follow its progress.`, error: false });
      await refresh();
    } catch (err) {
      setBackfill({ message: `Could not start: ${errorMessage(err)}`, error: true });
    } finally {
      setBusy(false);
    }
  };

  return (
    <ConfigSection title="Ingestion" description="What the Trailhound service has stored, read through this data source's saved settings.">
      {statusError && (
        <Alert severity="warning" title="Ingestion status unavailable">
          {statusError}. Save &amp; test the settings above first; the service must be running and reachable.
        </Alert>
      )}
      {/* A refresh that failed keeps what the last one read, as a Grafana panel keeps its data beside a query error, but
          says when that was and dims it: beside the warning, it would otherwise read as the service's current state. */}
      {stale && (
        <Text element="p" variant="bodySmall" color="secondary" id="trailhound-status-stale">
          {`As of ${new Date(readAt!).toLocaleString()}, the last successful read: the service may have changed since.`}
        </Text>
      )}
      {reading && !status && !statusError && <LoadingPlaceholder text="Reading the ingestion status…" />}
      <div style={stale ? { opacity: 0.6 } : undefined}>
        {status && (
          <dl aria-label="Ingestion status" aria-describedby={stale ? 'trailhound-status-stale' : undefined} style={grid}>
            <dt style={term}>Log files</dt>
            <dd style={{ margin: 0 }}>{formatCount(status.objects)}</dd>
            <dt style={term}>Events</dt>
            <dd style={{ margin: 0 }}>{formatCount(status.events)}</dd>
            <dt style={term}>Newest event</dt>
            <dd style={{ margin: 0 }}>{formatTime(status.newestEvent)}</dd>
            <dt style={term}>Oldest event</dt>
            <dd style={{ margin: 0 }}>{formatTime(status.oldestEvent)}</dd>
            <dt style={term}>Lag</dt>
            <dd style={{ margin: 0 }}>{formatLag(status.lagSeconds)}</dd>
            <dt style={term}>Errors</dt>
            <dd style={{ margin: 0 }}>{formatCount(status.errors)}</dd>
            <dt style={term}>Last successful poll</dt>
            <dd style={{ margin: 0 }}>{formatTime(status.lastPoll)}</dd>
            {status.retention && (
              <>
                <dt style={term}>Retention</dt>
                <dd style={{ margin: 0 }}>{formatRetention(status.retention)}</dd>
              </>
            )}
            {status.backfill && (
              <>
                <dt style={term}>Older logs</dt>
                <dd style={{ margin: 0 }}>{formatBackfill(status.backfill)}</dd>
              </>
            )}
          </dl>
        )}
        {status?.sources && status.sources.length > 1 && (
          // Several sources: how each is doing, since the totals above are over all of them.
          <dl aria-label="Sources" style={grid}>
            {status.sources.map((source) => (
              <Fragment key={source.source}>
                <dt style={term}>{source.source}</dt>
                <dd style={{ margin: 0 }}>{formatSource(source)}</dd>
              </Fragment>
            ))}
          </dl>
        )}
        {status?.lastPollError && (
          <Alert severity="error" title="The last poll failed">
            {status.lastPollError}
          </Alert>
        )}
      </div>
      {unreadable && <UnreadableFiles unreadable={unreadable} />}
      {/* Busy while a read is on its way: the figures or the warning it will replace stay as they are until it answers. */}
      <Button
        variant="secondary"
        size="sm"
        icon={reading ? 'fa fa-spinner' : 'sync'}
        aria-busy={reading}
        onClick={refresh}
        style={{ marginBottom: theme.spacing(2) }}
      >
        Refresh
      </Button>
      {/* The box is named Days back, apart from the button beside it (a screen reader heard "Retrieve older logs" twice);
          its description and error describe it, outside its label, so that its name stays short. A fragment: Field
          would otherwise hand its "invalid" prop to the Stack's div, and with it the error's id, which is ours instead. */}
      <Field
        label={
          <>
            <Label htmlFor="trailhound-backfill-days">Days back</Label>
            <Text element="p" variant="bodySmall" color="secondary" id="trailhound-backfill-days-description">
              {canBackfill
                ? "How many days of older logs to retrieve: the trail's log files this many days back from today"
                : 'Only an organization Admin can retrieve older logs'}
            </Text>
          </>
        }
        htmlFor="trailhound-backfill-days"
      >
        <>
          <Stack direction="row" gap={1}>
            <Input
              id="trailhound-backfill-days"
              type="number"
              min={1}
              width={14}
              invalid={!daysValid}
              aria-describedby={`trailhound-backfill-days-description${daysValid ? '' : ' trailhound-backfill-days-error'}`}
              disabled={!canBackfill}
              value={days}
              onChange={(e) => setDays(e.currentTarget.value)}
              suffix="days"
            />
            <Button icon="history" disabled={!canBackfill || !daysValid || busy} onClick={startBackfill}>
              Retrieve older logs
            </Button>
          </Stack>
          {!daysValid && <FieldValidationMessage id="trailhound-backfill-days-error">A whole number of days, 1 or more</FieldValidationMessage>}
        </>
      </Field>
      {/* A live region there before the answer, so that a screen reader says the answer when it comes: the button gives
          no other sign (the status below it is read again, out of sight). */}
      <div role="status">{backfill && <Text color={backfill.error ? 'error' : 'success'}>{backfill.message}</Text>}</div>
    </ConfigSection>
  );
}
