// The service's Ingestion frame as Grafana shows it: its units go through Grafana's own formatters.
import { formattedValueToString, getValueFormat } from '@grafana/data';
import type { IngestStatus } from '../../model/api';
import { ingestFrame } from '../../service/reports';

const STATUS: IngestStatus = {
  objects: 1, events: 1, errors: 0, skipped: 0, newestEvent: null, oldestEvent: null, lagSeconds: null, lastPoll: null, lastPollError: null,
};

test("a retention reads as its days, not scaled to weeks or years as the unit 'd' does", () => {
  for (const days of [7, 90, 400]) {
    const retention = { days, before: '2026-01-01T00:00:00.000Z', prunedAt: '2026-11-20T00:00:00.000Z' };
    const field = ingestFrame({ ...STATUS, retention }).fields.find((f) => f.name === 'retention')!;
    expect(formattedValueToString(getValueFormat(field.config?.unit as string)(field.values[0] as number))).toBe(`${days} days`);
  }
});
