// Frames are Arrow IPC files that Grafana's Go SDK reads: checked by decoding them with apache-arrow.
import { makeVector, RecordBatchReader, tableFromIPC, Type, TimeUnit, type Table } from 'apache-arrow';
import type { Frame } from '../../src/model/api';
import { encodeFrame, FrameError } from '../../src/backend/frames';
import { ingestErrorsFrame } from '../../src/service/reports';

function decode(frame: Frame, refId = 'A'): Table {
  const bytes = encodeFrame(frame, refId);
  // The IPC *file* format: magic "ARROW1" at both ends.
  expect(Buffer.from(bytes.subarray(0, 6)).toString()).toBe('ARROW1');
  expect(Buffer.from(bytes.subarray(bytes.length - 6)).toString()).toBe('ARROW1');
  return tableFromIPC(bytes);
}

const t0 = Date.UTC(2026, 10, 24, 10, 0, 0);

test('every field type, with the types Grafana expects', () => {
  const table = decode({
    name: 'events',
    fields: [
      { name: 'time', type: 'time', values: [t0, t0 + 60_000] },
      { name: 'count', type: 'number', values: [1, 2.5] },
      { name: 'user', type: 'string', values: ['alice', 'bob'] },
      { name: 'read only', type: 'boolean', values: [true, false] },
    ],
  });
  const [time, count, user, readOnly] = table.schema.fields;
  expect(time.type.typeId).toBe(Type.Timestamp);
  expect((time.type as any).unit).toBe(TimeUnit.NANOSECOND);
  expect((time.type as any).timezone).toBeNull();
  expect(count.type.typeId).toBe(Type.Float);
  expect(String(count.type)).toBe('Float64');
  expect(user.type.typeId).toBe(Type.Utf8); // plain, never Dictionary
  expect(readOnly.type.typeId).toBe(Type.Bool);
  expect(table.schema.fields.map((f) => f.nullable)).toEqual([false, false, false, false]);

  expect(table.numRows).toBe(2);
  // Nanoseconds, exactly: the raw int64 values, not a rounded double.
  expect(Array.from(table.getChild('time')!.data[0].values as BigInt64Array)).toEqual([BigInt(t0) * 1_000_000n, BigInt(t0 + 60_000) * 1_000_000n]);
  expect(table.getChild('time')!.get(1)).toBe(t0 + 60_000);
  expect(table.getChild('count')!.toArray()).toEqual(new Float64Array([1, 2.5]));
  expect(table.getChild('user')!.toArray()).toEqual(['alice', 'bob']);
  expect(table.getChild('read only')!.toArray()).toEqual([true, false]);
});

test('schema and field metadata carry name, refId, meta, labels and config as the Go SDK writes them', () => {
  const table = decode(
    {
      name: 'alice',
      meta: { preferredVisualisationType: 'table', custom: { b: 1, a: 2 } },
      fields: [
        { name: 'time', type: 'time', values: [t0] },
        { name: 'events', type: 'number', values: [3], labels: { user: 'alice', region: 'us-east-1' }, config: { displayNameFromDS: 'alice', unit: 'short' } },
      ],
    },
    'B'
  );
  expect(Object.fromEntries(table.schema.metadata)).toEqual({
    name: 'alice',
    refId: 'B',
    meta: JSON.stringify({ custom: { a: 2, b: 1 }, preferredVisualisationType: 'table' }),
  });
  const [time, events] = table.schema.fields;
  expect(Object.fromEntries(time.metadata)).toEqual({ name: 'time' });
  expect(Object.fromEntries(events.metadata)).toEqual({
    name: 'events',
    labels: '{"region":"us-east-1","user":"alice"}',
    config: '{"displayNameFromDS":"alice","unit":"short"}',
  });
  expect(JSON.parse(events.metadata.get('labels')!)).toEqual({ user: 'alice', region: 'us-east-1' });
});

test('nulls in every type: the field becomes nullable and the values come back null', () => {
  const table = decode({
    fields: [
      { name: 'time', type: 'time', values: [null, t0, null] },
      { name: 'n', type: 'number', values: [1, null, 3] },
      { name: 's', type: 'string', values: [null, 'x', ''] },
      { name: 'b', type: 'boolean', values: [false, null, true] },
    ],
  });
  expect(table.schema.fields.map((f) => f.nullable)).toEqual([true, true, true, true]);
  expect([...table.getChild('time')!].map((v) => v ?? null)).toEqual([null, t0, null]);
  expect([...table.getChild('n')!]).toEqual([1, null, 3]);
  expect([...table.getChild('s')!]).toEqual([null, 'x', '']);
  expect([...table.getChild('b')!]).toEqual([false, null, true]);
  expect(table.getChild('n')!.nullCount).toBe(1);
});

test("the unreadable files' retry time: a time in nanoseconds for a file that ran out of memory, null for the others", () => {
  const failedAt = '2026-11-24T10:00:00.000Z';
  const retryAt = '2026-11-24T10:05:00.000Z';
  const table = decode(
    ingestErrorsFrame({
      total: 2,
      errors: [
        { source: 's3://logs/', key: 'huge.json.gz', reason: 'out of memory: …', kind: 'out-of-memory', failedAt, retryAt },
        { source: 's3://logs/', key: 'bad.json.gz', reason: 'not gzip', kind: 'bad-gzip', failedAt },
      ],
    })
  );
  const retry = table.schema.fields.find((f) => f.name === 'retry after')!;
  expect([retry.type.typeId, (retry.type as any).unit, retry.nullable]).toEqual([Type.Timestamp, TimeUnit.NANOSECOND, true]);
  expect([...table.getChild('retry after')!].map((v) => v ?? null)).toEqual([Date.parse(retryAt), null]);
  expect([...table.getChild('time')!]).toEqual([Date.parse(failedAt), Date.parse(failedAt)]);
});

test("the plugin's own meta (executedQueryString) is added to the service's, over a key of the same name; or is the meta alone", () => {
  const fields = [{ name: 'x', type: 'number' as const, values: [1] }];
  const added = { executedQueryString: 'POST /api/query {"queries":[]}' };
  const both = tableFromIPC(encodeFrame({ meta: { notices: [{ severity: 'info', text: 'n' }], executedQueryString: 'theirs' }, fields }, 'A', added));
  expect(JSON.parse(both.schema.metadata.get('meta')!)).toEqual({ notices: [{ severity: 'info', text: 'n' }], executedQueryString: added.executedQueryString });
  expect(JSON.parse(tableFromIPC(encodeFrame({ fields }, 'A', added)).schema.metadata.get('meta')!)).toEqual(added);
});

test('a frame without a name gets name "" (as Go writes it); a frame without meta has no meta key', () => {
  const table = decode({ fields: [{ name: 'x', type: 'number', values: [1] }] }, 'Z');
  expect(Object.fromEntries(table.schema.metadata)).toEqual({ name: '', refId: 'Z' });
});

test('empty frames: no rows, or no fields at all, still decode with their schema', () => {
  const noRows = decode({
    name: 'trails',
    fields: [
      { name: 'name', type: 'string', values: [] },
      { name: 'logging started', type: 'time', values: [] },
      { name: 'is logging', type: 'boolean', values: [] },
      { name: 'n', type: 'number', values: [] },
    ],
  });
  expect(noRows.numRows).toBe(0);
  expect(noRows.schema.fields.map((f) => [f.name, f.type.typeId])).toEqual([
    ['name', Type.Utf8],
    ['logging started', Type.Timestamp],
    ['is logging', Type.Bool],
    ['n', Type.Float],
  ]);
  const noFields = decode({ name: 'nothing', fields: [] });
  expect(noFields.numRows).toBe(0);
  expect(noFields.schema.fields).toHaveLength(0);
  expect(noFields.schema.metadata.get('name')).toBe('nothing');
});

test('unicode strings, long columns and ISO times survive', () => {
  const n = 5000;
  const table = decode({
    fields: [
      { name: 'time', type: 'time', values: Array.from({ length: n }, (_, i) => new Date(t0 + i * 1000).toISOString()) },
      { name: 'who', type: 'string', values: Array.from({ length: n }, (_, i) => `üser-${i}-✓`) },
    ],
  });
  expect(table.numRows).toBe(n);
  expect(table.getChild('time')!.get(n - 1)).toBe(t0 + (n - 1) * 1000);
  expect(table.getChild('who')!.get(4321)).toBe('üser-4321-✓');
});

test('duplicate field names stay two fields', () => {
  const table = decode({
    fields: [
      { name: 'v', type: 'number', values: [1] },
      { name: 'v', type: 'number', values: [2] },
    ],
  });
  expect(table.schema.fields).toHaveLength(2);
  expect(table.getChildAt(1)!.get(0)).toBe(2);
});

test('fields of one name keep their own type, nullability and labels', () => {
  const bytes = encodeFrame(
    {
      fields: [
        { name: 'v', type: 'number', values: [1, 2], labels: { user: 'alice' } },
        { name: 'v', type: 'boolean', values: [true, null], labels: { user: 'bob' } },
        { name: 'v', type: 'string', values: ['a', 'b'] },
      ],
    },
    'A'
  );
  // Read as Grafana's Go reader reads it: the file's schema and each column's data. (Arrow's Table, read or written,
  // keeps one field per name: the encoder writes around that, and tableFromIPC would show it again.)
  const reader = RecordBatchReader.from(bytes).open();
  const schema = reader.schema;
  const [batch, ...more] = [...reader];
  expect(more).toEqual([]);
  expect(schema.fields.map((f) => [f.name, Type[f.type.typeId], f.nullable, f.metadata.get('labels') ?? null])).toEqual([
    ['v', 'Float', false, '{"user":"alice"}'],
    ['v', 'Bool', true, '{"user":"bob"}'],
    ['v', 'Utf8', false, null],
  ]);
  const columns = batch.data.children.map((data, i) => [...makeVector(data.clone(schema.fields[i].type))]);
  expect(columns).toEqual([
    [1, 2],
    [true, null],
    ['a', 'b'],
  ]);
});

test('malformed frames are a FrameError naming the field, not a crash', () => {
  expect(() => encodeFrame({ fields: [{ name: 'a', type: 'number', values: [1, 2] }, { name: 'b', type: 'number', values: [1] }] }, 'A')).toThrow(
    new FrameError('frame "": field "b" has 1 values, field "a" has 2')
  );
  expect(() => encodeFrame({ fields: [{ name: 'n', type: 'number', values: ['7'] }] }, 'A')).toThrow(/field "n": "7" is not a number/);
  expect(() => encodeFrame({ fields: [{ name: 't', type: 'time', values: ['yesterday'] }] }, 'A')).toThrow(/field "t": "yesterday" is not a time/);
  expect(() => encodeFrame({ fields: [{ name: 'b', type: 'boolean', values: [1] }] }, 'A')).toThrow(/field "b": 1 is not a boolean/);
  expect(() => encodeFrame({ fields: [{ name: 'x', type: 'date' as any, values: [] }] }, 'A')).toThrow(/unknown type "date"/);
});

test('times outside what int64 nanoseconds hold are a FrameError, never wrapped into other dates', () => {
  // The first and last milliseconds Grafana's Timestamp(nanosecond) can hold.
  const last = Date.parse('2262-04-11T23:47:16.854Z');
  const first = Date.parse('1677-09-21T00:12:43.146Z');
  const table = decode({ fields: [{ name: 'time', type: 'time', values: [first, last] }] });
  expect([...table.getChild('time')!]).toEqual([first, last]);
  const message = (value: unknown) => new FrameError(`field "time": ${JSON.stringify(value)} is outside the times Grafana can show (1677-09-21 to 2262-04-11)`);
  for (const value of [last + 1, first - 1, Date.UTC(9999, 11, 31), '2262-04-12T00:00:00Z', last + 0.9]) {
    expect(() => encodeFrame({ fields: [{ name: 'time', type: 'time', values: [value] }] }, 'A')).toThrow(message(value));
  }
});
