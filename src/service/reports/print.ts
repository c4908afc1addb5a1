// Frames as terminal text: the same frames the API returns, laid out as aligned tables.
import type { Frame, FrameField } from '../../model/api';
import { offsetAt, UTC } from '../../model/timeZone';
import { formatColumns } from '../table';

/** A time as the commands print one: its minute, UTC (2026-11-26 13:41), or on a zone's wall clock. */
export const minute = (ms: number, zone = UTC) => new Date(ms + offsetAt(zone, ms)).toISOString().slice(0, 16).replace('T', ' ');

/** The zone times are printed in: Intl's name for it, and the name to show, as the user wrote it (Intl spells Asia/Kolkata Asia/Calcutta). */
export interface PrintZone {
  zone: string;
  shown: string;
}
const IN_UTC: PrintZone = { zone: UTC, shown: UTC };

/** A time field's heading: its name, with the zone its times are in when it is not UTC. */
const timeHeading = (name: string, zone: PrintZone) => (zone.zone === UTC ? name : `${name} (${zone.shown})`);

/** Seconds as Grafana's unit `s` shows them, scaled to what reads at a glance (a lag of 90000 s is 1.0 days). */
export function duration(seconds: number): string {
  if (Math.abs(seconds) < 120) return `${seconds} s`;
  if (Math.abs(seconds) < 7_200) return `${Math.round(seconds / 60)} min`;
  if (Math.abs(seconds) < 172_800) return `${(seconds / 3_600).toFixed(1)} hours`;
  return `${(seconds / 86_400).toFixed(1)} days`;
}

/** A number with the unit its field's config gives Grafana (the ingestion status's lag and retention): "73" alone says nothing. */
function withUnit(v: number, unit: unknown): string {
  if (unit === 's') return duration(v);
  if (typeof unit === 'string' && unit.startsWith('suffix:')) {
    const suffix = unit.slice('suffix:'.length);
    return `${v} ${v === 1 ? suffix.replace(/s$/, '') : suffix}`;
  }
  return String(v);
}

/**
 * A value as printed; a number without a unit stays a number, which formatTable right-aligns (counts line up by
 * place), and none stays none (an empty cell, which leaves a column of numbers one).
 */
function cell(field: FrameField, i: number, zone = IN_UTC): string | number | null {
  const v = field.values[i];
  if (v === null || v === undefined) return null;
  if (field.type === 'time') return minute(Number(v), zone.zone);
  if (field.type === 'boolean') return v ? 'yes' : 'no';
  if (field.type === 'number') return field.config?.unit === undefined ? Number(v) : withUnit(Number(v), field.config.unit);
  return String(v);
}

const isSeries = (f: Frame) => f.fields.length === 2 && f.fields[0].type === 'time' && f.fields[1].type === 'number';

const ONE_ROW = new Set(['totals', 'ingestion']);

/**
 * Log lines as a log reads: the time (the first: the arrival, by arrival time), the level and the line. Their other
 * fields are the events' (`--format list` prints them), which the line says in words.
 */
function logView(frame: Frame): Frame {
  if (frame.meta?.preferredVisualisationType !== 'logs') return frame;
  const named = (name: string) => frame.fields.filter((f) => f.name === name);
  return { ...frame, fields: [...frame.fields.filter((f) => f.type === 'time').slice(0, 1), ...named('level'), ...named('line')] };
}

/** One-row frames (totals, ingestion) read best as "name  value" lines. */
function vertical(frame: Frame, zone: PrintZone, width?: number): string {
  const lines = frame.fields.map((f) => [f.type === 'time' ? timeHeading(f.name, zone) : f.name, cell(f, 0, zone)]);
  return formatColumns([frame.name ?? 'measure', 'value'], lines, width);
}

/** Timeseries frames side by side: a time column, then one column per group. */
function series(frames: Frame[], counts: string, zone: PrintZone): string {
  const times = frames[0].fields[0];
  // Only there for its notice (SeriesFrames.noticeOnly).
  if (times.values.length === 0) return NO_EVENTS;
  // A group's own name (its values labelled), else the count's; in a slot of its own, whatever the name ("time" too).
  const headings = [timeHeading('time', zone), ...frames.map((f) => (f.fields[1].labels ? (f.name ?? counts) : counts))];
  return formatColumns(headings, times.values.map((t, i) => [minute(Number(t), zone.zone), ...frames.map((f) => cell(f.fields[1], i))]));
}

export const NO_EVENTS = '(no events match)';

/** An empty List of Trails (a database only ingest wrote): "(no rows)" would not say where the inventory comes from. */
export const NO_TRAILS = "(no trails stored: 'trailhound trails sync' reads them from the CloudTrail API; serve does it hourly for an S3 source)";

function rows(frame: Frame, counts: string, zone: PrintZone, width?: number): string {
  const count = frame.fields[0]?.values.length ?? 0;
  // "(no unreadable files)" says more than "(no rows)".
  if (count === 0 && frame.name === 'unreadable files') return `(no ${frame.name})`;
  if (count === 0 && frame.name === 'trails') return NO_TRAILS;
  // An events table or list: as an empty time series says it (no frames at all).
  if (count === 0) return NO_EVENTS;
  const heading = (f: FrameField) => (f.name === 'events' && f.type === 'number' ? counts : f.type === 'time' ? timeHeading(f.name, zone) : f.name);
  return formatColumns(frame.fields.map(heading), Array.from({ length: count }, (_, i) => frame.fields.map((f) => cell(f, i, zone))), width);
}

/** A frame's notices (Grafana shows them in the panel's header), as lines under its table. */
function notices(frame: Frame): string {
  const list = (frame.meta?.notices ?? []) as Array<{ text: string }>;
  return list.map((n) => `\n(${n.text})`).join('');
}

/**
 * The frames as text. `peakMinutes`: the frames count peaks within that many minutes (the query's peakWindow, when
 * it counts them): their count column, "events" in the API's frames, is headed "peak (30 min)" instead.
 * `width`: what tables and lists are fitted to (see formatTable); none, rows whole on one line. A time series is
 * not: a grid of counts, a column a group, reads only as one. `zone`: the times are printed on its wall clock, and
 * their headings name it, when it is not UTC.
 */
export function printFrames(frames: Frame[], peakMinutes = 0, width?: number, zone = IN_UTC): string {
  if (frames.length === 0) return NO_EVENTS;
  const counts = peakMinutes > 0 ? `peak (${peakMinutes} min)` : 'events';
  // A time series' notices are its first frame's (SeriesFrames).
  if (frames.every(isSeries)) return series(frames, counts, zone) + notices(frames[0]);
  return frames.map((f) => (ONE_ROW.has(f.name ?? '') ? vertical(f, zone, width) : rows(logView(f), counts, zone, width)) + notices(f)).join('\n\n');
}
