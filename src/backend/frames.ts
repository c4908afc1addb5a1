// The service's columnar JSON frames → Arrow IPC files, laid out as Grafana's Go SDK writes and reads
// them (data/arrow.go): schema metadata name, refId and meta (JSON); per field metadata name, labels and
// config (JSON); times as Timestamp(nanosecond) without a time zone; strings as plain Utf8 — Grafana's
// reader rejects dictionary-encoded columns.
import {
  Bool,
  type Data,
  type DataType,
  Field,
  Float64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableToIPC,
  TimestampNanosecond,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import type { Frame, FrameField } from '../model/api';

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

type Value = FrameField['values'][number];

/** JSON with object keys sorted, so equal labels always give equal metadata (Go sorts map keys too). */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v
  );
}

/** Validity bitmap (bit set = value present), or undefined when there are no nulls. */
function validity(values: Value[]): { nullCount: number; nullBitmap?: Uint8Array } {
  let nullCount = 0;
  const bitmap = new Uint8Array((values.length + 7) >> 3);
  values.forEach((v, i) => {
    if (v === null || v === undefined) nullCount++;
    else bitmap[i >> 3] |= 1 << (i & 7);
  });
  return nullCount === 0 ? { nullCount } : { nullCount, nullBitmap: bitmap };
}

/** Epoch milliseconds (or an ISO string) → nanoseconds, exactly: ms * 1e6 overflows a double's precision. */
function nanoseconds(field: string, value: Value): bigint {
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) throw new FrameError(`field "${field}": ${JSON.stringify(value)} is not a time`);
  const ns = Number.isInteger(ms) ? BigInt(ms) * 1_000_000n : BigInt(Math.round(ms * 1000)) * 1000n;
  // An int64 of nanoseconds spans 1677-09-21 to 2262-04-11; BigInt64Array would wrap anything beyond silently.
  if (BigInt.asIntN(64, ns) !== ns) {
    throw new FrameError(`field "${field}": ${JSON.stringify(value)} is outside the times Grafana can show (1677-09-21 to 2262-04-11)`);
  }
  return ns;
}

function column(field: FrameField): { type: DataType; data: Data } {
  const values = field.values;
  const { nullCount, nullBitmap } = validity(values);
  const present = (v: Value): v is Exclude<Value, null> => v !== null && v !== undefined;
  switch (field.type) {
    case 'time': {
      const type = new TimestampNanosecond();
      const data = BigInt64Array.from(values, (v) => (present(v) ? nanoseconds(field.name, v) : 0n));
      return { type, data: makeData({ type, length: values.length, nullCount, nullBitmap, data }) };
    }
    case 'number': {
      const type = new Float64();
      const data = Float64Array.from(values, (v) => {
        if (!present(v)) return 0;
        if (typeof v !== 'number') throw new FrameError(`field "${field.name}": ${JSON.stringify(v)} is not a number`);
        return v;
      });
      return { type, data: makeData({ type, length: values.length, nullCount, nullBitmap, data }) };
    }
    case 'string': {
      const type = new Utf8();
      // Strings pass through as they are; anything else is stringified rather than dropped.
      const strings = values.map((v) => (present(v) ? (typeof v === 'string' ? v : String(v)) : null));
      return { type, data: vectorFromArray(strings, type).data[0] };
    }
    case 'boolean': {
      const type = new Bool();
      const bools = values.map((v) => {
        if (!present(v)) return null;
        if (typeof v !== 'boolean') throw new FrameError(`field "${field.name}": ${JSON.stringify(v)} is not a boolean`);
        return v;
      });
      return { type, data: vectorFromArray(bools, type).data[0] };
    }
    default:
      throw new FrameError(`field "${field.name}": unknown type ${JSON.stringify((field as { type: unknown }).type)}`);
  }
}

/**
 * One frame as one Arrow IPC file, tagged with the query's refId; `meta`, the plugin's own (executedQueryString), is
 * added to the service's, over a key of the same name.
 */
export function encodeFrame(frame: Frame, refId: string, meta?: Frame['meta']): Uint8Array {
  const fields = frame.fields ?? [];
  const length = fields[0]?.values?.length ?? 0;
  for (const f of fields) {
    if (!Array.isArray(f.values)) throw new FrameError(`field "${f.name}" has no values list`);
    if (f.values.length !== length) {
      throw new FrameError(`frame "${frame.name ?? ''}": field "${f.name}" has ${f.values.length} values, field "${fields[0].name}" has ${length}`);
    }
  }
  const columns = fields.map(column);
  const arrowFields = fields.map((f, i) => {
    const metadata = new Map([['name', f.name]]);
    if (f.labels) metadata.set('labels', stableJson(f.labels));
    if (f.config) metadata.set('config', stableJson(f.config));
    // Nullable only when a value is missing, as the Go SDK's nullable vectors do.
    return new Field(f.name, columns[i].type, columns[i].data.nullCount > 0, metadata);
  });
  const metadata = new Map([
    ['name', frame.name ?? ''],
    ['refId', refId],
  ]);
  if (frame.meta || meta) metadata.set('meta', stableJson({ ...frame.meta, ...meta }));
  const schema = new Schema(arrowFields, metadata);
  const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children: columns.map((c) => c.data) }));
  // Arrow's RecordBatch rebuilds its schema by field name (Schema.assign): of fields of one name, the last took the
  // first's place, their labels merged. A Grafana frame may have several: the batch keeps the schema as built.
  (batch as { schema: Schema }).schema = schema;
  return tableToIPC(new Table(schema, [batch]), 'file');
}
