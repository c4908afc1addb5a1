// A query's frames: time series, lists and tables held compactly until written (HeldFrames), and the small frames built whole.
import { JSDuckDBValueConverter, type DuckDBConnection } from '@duckdb/node-api';
import { type Frame, type FrameField, type IngestErrors, type IngestStatus, type Notice, noPointsFrame } from '../../model/api';
import { MAX_LIMIT, type ResolvedQuery } from '../../model/query';
import * as SQL from './sql';
import type { BucketGrid } from './buckets';
import type { Statement } from './sql';

export type Row = Record<string, unknown>;

/** A group of a timeseries or table: its labels (one, or a pair's two) and how it is shown. */
interface Group {
  labels: Record<string, string>;
  name: string;
}

/** A group's label names: a table's group columns. Ungrouped, the one group "all" is in a column "group". */
const labelNames = (q: ResolvedQuery): readonly string[] => (q.groupBy === 'none' ? ['group'] : SQL.GROUP_LABELS[q.groupBy]);

/**
 * The group of a result row's key: a value, or a pair's struct whose fields are its labels. A pair is shown as
 * "alice (111122223333)": the user, then the account it acted in.
 */
function groupOf(q: ResolvedQuery, key: unknown): Group {
  const names = labelNames(q);
  const values = names.length === 1 ? [String(key)] : names.map((n) => String((key as Record<string, unknown>)[n]));
  const [first, ...rest] = values;
  return { labels: Object.fromEntries(names.map((n, i) => [n, values[i]])), name: rest.length ? `${first} (${rest.join(', ')})` : first };
}

/** Label values in order, as the SQL orders groups of equal counts (a pair's struct field by field). */
function compareGroups(a: Group, b: Group): number {
  const x = Object.values(a.labels);
  const y = Object.values(b.labels);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

/** A group's counts, one per bucket, and what orders it among the others: their sum, or with peaks the highest. */
interface Series {
  group: Group;
  counts: Float64Array;
  total: number;
}

/**
 * A query's frames held in a compact form until they are written: as Frames (frames()), or as their JSON a frame at a
 * time (eachFrame(); json(): the items of the frames list, without its brackets, as JSON.stringify(this.frames()) writes
 * them), which the API sends as it goes (answerJson, answerLines).
 */
export abstract class HeldFrames {
  /** What Grafana shows in the panel's header (the retention's, Reports.retentionNotices): the first frame's meta. */
  notices: Notice[] = [];

  /** A frame's `meta` with the notices added, for the frame that carries them; undefined when there is neither. */
  protected withNotices(meta?: Frame['meta']): Frame['meta'] {
    return this.notices.length > 0 ? { ...meta, notices: this.notices } : meta;
  }

  abstract frames(): Frame[];
  /** Each frame's JSON, as JSON.stringify writes it, in pieces. */
  abstract eachFrame(): Generator<Iterable<string>>;

  *json(): Generator<string> {
    let i = 0;
    for (const frame of this.eachFrame()) {
      if (i++ > 0) yield ',';
      yield* frame;
    }
  }
}

/**
 * A time series query's frames, held as one Float64Array of counts per group (8 bytes a point: 40 MB at the points
 * budget). Built as objects, zero-filled, with their JSON in one string, a request at the budget took the service
 * ~470 MB more, and DuckDB's rows read as objects (a series dense with events) 1.9 GB more.
 */
export class SeriesFrames extends HeldFrames {
  /** Every bucket of the range has a point, so 0 is drawn, not a gap. */
  private readonly points: number;
  private readonly groups = new Map<string, Series>();
  private ordered: Series[] = [];
  /**
   * The zone whose days and hours the buckets are, when not UTC: said in the first frame's meta (custom.timeZone), so
   * that a client can tell a service that laid them out in it from an older one that ignored it.
   */
  timeZone?: string;

  constructor(
    private readonly q: ResolvedQuery,
    private readonly grid: BucketGrid
  ) {
    super();
    this.points = grid.points;
  }

  /** Reads SQL.timeseries' rows (grp, t, n), in any order, a DuckDB chunk at a time, into each group's counts. */
  async read(conn: DuckDBConnection, statement: Statement): Promise<void> {
    const result = await conn.stream(statement.sql, statement.params);
    const peaks = SQL.countsPeaks(this.q);
    // A group's key is worked out once, not for each of its points: a value is its own key, a pair's struct is not.
    const byValue = new Map<string, Series>();
    const seriesOf = (key: unknown): Series => {
      if (typeof key === 'string') {
        const known = byValue.get(key);
        if (known) return known;
      }
      const group = groupOf(this.q, key);
      // Keyed by every label value: two accounts' users of one name are two series.
      const id = JSON.stringify(Object.values(group.labels));
      let series = this.groups.get(id);
      if (!series) this.groups.set(id, (series = { group, counts: new Float64Array(this.points), total: 0 }));
      if (typeof key === 'string') byValue.set(key, series);
      return series;
    };
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      const keys = chunk.convertColumnValues(0, JSDuckDBValueConverter);
      const times = chunk.getColumnVector(1);
      const counts = chunk.getColumnVector(2);
      for (let i = 0; i < chunk.rowCount; i++) {
        const series = seriesOf(keys[i]);
        const at = (Number(times.getItem(i)) - this.grid.start) / this.grid.width;
        if (!Number.isInteger(at) || at < 0 || at >= this.points) continue;
        const n = Number(counts.getItem(i));
        series.counts[at] = n;
        series.total = peaks ? Math.max(series.total, n) : series.total + n;
      }
    }
  }

  /** Busiest group first, as in the table format (and so in legends); with peaks, the highest peak first. */
  sorted(): this {
    if (this.groups.size === 0 && this.q.groupBy === 'none') {
      this.groups.set('all', { group: groupOf(this.q, 'all'), counts: new Float64Array(this.points), total: 0 });
    }
    this.ordered = [...this.groups.values()].sort((x, y) => y.total - x.total || compareGroups(x.group, y.group));
    this.groups.clear();
    return this;
  }

  /** The points drawn: each bucket's start, but for a bucket no instant has (a day a zone skipped), which no event is in. */
  private drawn(): { times: number[]; values: (counts: Float64Array) => ArrayLike<number> & { join(separator: string): string } } {
    const starts = this.grid.times();
    const kept = starts.flatMap((t, i) => (Number.isNaN(t) ? [] : [i]));
    if (kept.length === starts.length) return { times: starts, values: (counts) => counts };
    return { times: kept.map((i) => starts[i]), values: (counts) => kept.map((i) => counts[i]) };
  }

  private get grouped(): boolean {
    return this.q.groupBy !== 'none';
  }

  /**
   * A grouped series without any event has no frame, but a notice needs one to be shown (the retention's, over a range
   * it emptied): then a frame of no points.
   */
  private noticeOnly(): Frame | undefined {
    if (this.ordered.length > 0 || this.notices.length === 0) return undefined;
    return noPointsFrame(this.firstMeta());
  }

  /** The first frame's meta: the notices, and the zone of the buckets. */
  private firstMeta(): Frame['meta'] {
    return this.withNotices(this.timeZone === undefined ? undefined : { custom: { timeZone: this.timeZone } });
  }

  frames(): Frame[] {
    const empty = this.noticeOnly();
    if (empty) return [empty];
    const { times, values } = this.drawn();
    const first = this.firstMeta();
    return this.ordered.map(({ group, counts }, i) => ({
      name: this.grouped ? group.name : 'events',
      ...(i === 0 && first && { meta: first }),
      fields: [
        { name: 'time', type: 'time', values: times },
        {
          name: 'events',
          type: 'number',
          values: Array.from(values(counts)),
          ...(this.grouped ? { labels: group.labels, config: { displayNameFromDS: group.name } } : {}),
        },
      ],
    }));
  }

  *eachFrame(): Generator<Iterable<string>> {
    const empty = this.noticeOnly();
    if (empty) yield [JSON.stringify(empty)];
    // Every frame has the same times: their JSON is written once.
    const { times, values } = this.drawn();
    const time = JSON.stringify({ name: 'time', type: 'time', values: times });
    const first = this.firstMeta();
    for (const [i, { group, counts }] of this.ordered.entries()) {
      const name = JSON.stringify(this.grouped ? group.name : 'events');
      const meta = i === 0 && first ? `,"meta":${JSON.stringify(first)}` : '';
      const labels = this.grouped ? `,"labels":${JSON.stringify(group.labels)},"config":${JSON.stringify({ displayNameFromDS: group.name })}` : '';
      yield [`{"name":${name}${meta},"fields":[${time},{"name":"events","type":"number","values":[${values(counts).join(',')}]${labels}}]}`];
    }
  }
}

/**
 * A column of a list's or a table's frame: its field, the result column it comes from, and what a value of that column
 * (as JSDuckDBValueConverter gives it) is in the frame.
 */
interface ColumnSpec {
  name: string;
  type: FrameField['type'];
  from: string;
  value: (v: unknown) => unknown;
}

/**
 * An event list's or a table's one frame, held as its columns' JSON: a DuckDB chunk (2,048 rows) at a time, each column's
 * values are written as JSON text, a piece per chunk, and the rows are dropped. The row budget (100,000 rows) read as row
 * objects (getRowObjectsJS), then built into frames and their JSON, peaked ~25 MB higher, and eight such requests in a
 * row ~100 MB higher (see DESIGN.md, "Event lists and tables are streamed too").
 */
export class ColumnFrame extends HeldFrames {
  /** Each column's values as JSON, a piece (values joined by commas) per chunk. */
  private readonly pieces: string[][];

  constructor(
    private readonly name: string,
    private readonly meta: Frame['meta'],
    private readonly columns: ColumnSpec[]
  ) {
    super();
    this.pieces = columns.map(() => []);
  }

  /** Reads the statement's rows a chunk at a time into each column's JSON. */
  async read(conn: DuckDBConnection, statement: Statement): Promise<this> {
    const result = await conn.stream(statement.sql, statement.params);
    const names = result.columnNames();
    const at = this.columns.map((c) => names.indexOf(c.from));
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      // A result column is converted once, however many columns it makes (a pair's group: its user and its account).
      const converted = new Map<number, unknown[]>();
      this.columns.forEach((column, i) => {
        let values = converted.get(at[i]);
        if (!values) converted.set(at[i], (values = chunk.convertColumnValues(at[i], JSDuckDBValueConverter)));
        // undefined, which JSON.stringify leaves out, is null in a list, as in JSON.stringify of the whole frame.
        this.pieces[i].push(values.map((v) => JSON.stringify(column.value(v)) ?? 'null').join(','));
      });
    }
    return this;
  }

  frames(): Frame[] {
    return JSON.parse(`[${[...this.json()].join('')}]`) as Frame[];
  }

  *eachFrame(): Generator<Iterable<string>> {
    yield this.frameJson();
  }

  private *frameJson(): Generator<string> {
    const meta = this.withNotices(this.meta);
    yield `{"name":${JSON.stringify(this.name)}${meta === undefined ? '' : `,"meta":${JSON.stringify(meta)}`},"fields":[`;
    for (const [i, { name, type }] of this.columns.entries()) {
      yield `${i > 0 ? ',' : ''}{"name":${JSON.stringify(name)},"type":${JSON.stringify(type)},"values":[`;
      for (const [j, piece] of this.pieces[i].entries()) yield j > 0 ? `,${piece}` : piece;
      yield ']}';
    }
    yield ']}';
  }
}

/** A table's frame (SQL.topGroups' rows: grp, n). */
export function tableFrame(q: ResolvedQuery): ColumnFrame {
  // A column per label: a pair's user and account side by side, each its own drill-down link on the dashboards.
  const names = labelNames(q);
  return new ColumnFrame(`events by ${names.join(' and ')}`, undefined, [
    ...names.map((name) => ({ name, type: 'string' as const, from: 'grp', value: (key: unknown) => groupOf(q, key).labels[name] })),
    { name: 'events', type: 'number', from: 'n', value: Number },
  ]);
}

/** A frame column's value from a result value: times arrive as epoch milliseconds, a missing value is null. */
const fieldValue = (type: 'time' | 'string' | 'boolean') => (v: unknown) => (v === null || v === undefined ? null : type === 'time' ? Number(v) : v);

/** A frame column from result rows (see fieldValue). */
function column(rows: Row[], name: string, type: 'time' | 'string' | 'boolean', key: string): FrameField {
  const value = fieldValue(type);
  return { name, type, values: rows.map((r) => value(r[key]) as string | number | boolean | null) };
}

/** A column of SQL.eventList's rows: its field's name and type, and the result column it comes from. */
type ListColumn = [string, 'time' | 'string' | 'boolean', string];

/** An event's fields in a list, and the details of its log line. */
const EVENT_COLUMNS: ListColumn[] = [
  ['user', 'string', 'user_name'], ['identity type', 'string', 'identity_type'],
  // The role a role session acted through: an Identity Center user's permission set, beside the person as the user.
  ['role', 'string', 'role_name'], ['source IP', 'string', 'source_ip'], ['event name', 'string', 'event_name'], ['service', 'string', 'service'],
  ['region', 'string', 'region'],
  ['account', 'string', 'account'], ['resources', 'string', 'resources'], ['error code', 'string', 'error_code'],
  ['error message', 'string', 'error_message'], ['read only', 'boolean', 'read_only'], ['MFA', 'boolean', 'mfa_used'],
  ['event id', 'string', 'event_id'],
];

const eventsFrame = (visualisation: 'table' | 'logs', columns: ListColumn[]) =>
  new ColumnFrame(
    'events',
    { preferredVisualisationType: visualisation },
    columns.map(([name, type, from]) => ({ name, type, from, value: fieldValue(type) }))
  );

/** An event list's frame (SQL.eventList's rows). */
export function listFrame(q: ResolvedQuery): ColumnFrame {
  const arrived: ListColumn[] = q.timeField === 'arrival' ? [['arrived', 'time', 'arrived']] : [];
  return eventsFrame('table', [['time', 'time', 'time'], ...arrived, ...EVENT_COLUMNS]);
}

/**
 * The events as log lines, for Grafana's Logs view (Explore, the Logs panel), which reads a frame's first time field as
 * the time, its first string field as the line, `level` as the level and `id` as the row's id; the event list's fields
 * follow, as the line's details. By arrival time the arrival comes first: the time the range applies to.
 */
export function logsFrame(q: ResolvedQuery): ColumnFrame {
  const times: ListColumn[] = q.timeField === 'arrival' ? [['arrived', 'time', 'arrived'], ['time', 'time', 'time']] : [['time', 'time', 'time']];
  return eventsFrame('logs', [...times, ['line', 'string', 'log_line'], ['level', 'string', 'log_level'], ['id', 'string', 'log_id'], ...EVENT_COLUMNS]);
}

export function totalsFrame(rows: Row[]): Frame {
  const r = rows[0];
  const keys = ['trails', 'events', 'success', 'errors', 'unauthorized', 'users', 'ips', 'services', 'regions', 'accounts'];
  return { name: 'totals', fields: keys.map((k) => ({ name: k, type: 'number' as const, values: [Number(r[k])] })) };
}

export function trailsFrame(rows: Row[]): Frame {
  const spec: Array<[string, 'string' | 'boolean' | 'time', string]> = [
    ['name', 'string', 'name'], ['S3 bucket', 'string', 's3_bucket'], ['S3 key prefix', 'string', 's3_key_prefix'],
    ['is logging', 'boolean', 'is_logging'], ['include global service events', 'boolean', 'include_global_service_events'],
    ['multi-region', 'boolean', 'is_multi_region'], ['organization trail', 'boolean', 'is_organization_trail'],
    ['home region', 'string', 'home_region'], ['logging started', 'time', 'logging_started'], ['logging ended', 'time', 'logging_stopped'],
    ['last delivery', 'time', 'last_delivery'], ['last delivery error', 'string', 'last_delivery_error'],
    ['last notification', 'time', 'last_notification'], ['last notification error', 'string', 'last_notification_error'],
    ['SNS topic', 'string', 'sns_topic'], ['ARN', 'string', 'arn'],
  ];
  return { name: 'trails', fields: spec.map(([name, type, key]) => column(rows, name, type, key)) };
}

export function ingestFrame(s: IngestStatus): Frame {
  const t = (iso: string | null) => (iso === null ? null : Date.parse(iso));
  return {
    name: 'ingestion',
    // The last poll error's kinds, for clients (the plugin's backend) that show the kind instead of the message.
    ...(s.lastPollErrorKinds && { meta: { custom: { lastPollErrorKinds: s.lastPollErrorKinds } } }),
    fields: [
      { name: 'objects', type: 'number', values: [s.objects] },
      { name: 'events', type: 'number', values: [s.events] },
      { name: 'errors', type: 'number', values: [s.errors] },
      { name: 'skipped', type: 'number', values: [s.skipped] },
      { name: 'newest event', type: 'time', values: [t(s.newestEvent)] },
      { name: 'lag', type: 'number', values: [s.lagSeconds], config: { unit: 's' } },
      { name: 'last poll', type: 'time', values: [t(s.lastPoll)] },
      { name: 'last poll error', type: 'string', values: [s.lastPollError] },
      { name: 'oldest event', type: 'time', values: [t(s.oldestEvent)] },
      // Not the unit 'd': Grafana scales it, and 90 days read "12.9 weeks".
      { name: 'retention', type: 'number', values: [s.retention?.days ?? null], config: { unit: 'suffix:days' } },
    ],
  };
}

/**
 * The unreadable files as a table: when each failed, its source, its key, why, and, for a file that waits (out of
 * memory, or its download refused), when it is tried again (the first run after that time; null for the others, read
 * again once they change). A notice says when there are more.
 */
export function ingestErrorsFrame({ total, errors }: IngestErrors): Frame {
  const more = total - errors.length;
  // At the most a list takes, raising the limit lists no more: not advice to give then.
  const advice = errors.length < MAX_LIMIT ? ': raise the limit to list more' : ` (a list shows at most ${MAX_LIMIT})`;
  const notices = more > 0 ? [{ severity: 'info', text: `the newest ${errors.length} of ${total} unreadable files${advice}` }] : [];
  return {
    name: 'unreadable files',
    // Each reason's kind, row by row (an older database's rows have none), as in GET /api/ingest/errors.
    meta: { preferredVisualisationType: 'table', ...(notices.length > 0 && { notices }), custom: { reasonKinds: errors.map((e) => e.kind ?? null) } },
    fields: [
      { name: 'time', type: 'time', values: errors.map((e) => Date.parse(e.failedAt)) },
      { name: 'source', type: 'string', values: errors.map((e) => e.source) },
      { name: 'key', type: 'string', values: errors.map((e) => e.key) },
      { name: 'reason', type: 'string', values: errors.map((e) => e.reason) },
      // Last: a client that reads the columns by position (time, source, key, reason) still finds them.
      { name: 'retry after', type: 'time', values: errors.map((e) => (e.retryAt ? Date.parse(e.retryAt) : null)) },
    ],
  };
}
