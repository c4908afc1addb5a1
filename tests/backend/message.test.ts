// QueryData's answer written by hand (src/backend/message.ts) must be the bytes protobufjs writes from backend.proto,
// which Grafana has always decoded: checked byte for byte, and decoded with protobufjs's decoder of the same .proto.
import { tableFromIPC } from 'apache-arrow';
import { errorResponse } from '../../src/backend/errors';
import { encodeFrame } from '../../src/backend/frames';
import { QueryDataMessage } from '../../src/backend/message';
import { loadProtos } from '../../src/backend/protos';
import { ServiceError } from '../../src/backend/serviceClient';
import type { DataResponse, QueryDataResponse } from '../../src/backend/types';

const protos = loadProtos();
const Type = protos.root.lookupType('pluginv2.QueryDataResponse');
const method = protos.Data.QueryData;

/** What grpc-js sent before: proto-loader's serializer, protobufjs's fromObject and encode. */
const current = (response: QueryDataResponse) => Buffer.from(method.responseSerialize(response));
const ours = (response: QueryDataResponse) => new QueryDataMessage(response).toBuffer();

const ok = (frames: Uint8Array[]): DataResponse => ({ frames, error: '', status: 200, errorSource: '' });
const t0 = Date.UTC(2026, 10, 24);
const frame = (refId: string, rows: number) =>
  encodeFrame(
    {
      name: `series ${refId}`,
      fields: [
        { name: 'time', type: 'time', values: Array.from({ length: rows }, (_, i) => t0 + i * 3_600_000) },
        { name: 'events', type: 'number', values: Array.from({ length: rows }, (_, i) => i), labels: { user: `user-${refId}` } },
      ],
    },
    refId
  );

function withNullPrototype(entries: Record<string, DataResponse>): Record<string, DataResponse> {
  return Object.assign(Object.create(null), entries);
}

const cases: Array<[string, QueryDataResponse]> = [
  ['no responses', { responses: {} }],
  ['a query without frames', { responses: { A: ok([]) } }],
  [
    'errors, as errorResponse makes them',
    {
      responses: {
        A: errorResponse(new ServiceError('the Trailhound service at http://127.0.0.1:1 could not be reached: connect ECONNREFUSED', 502, 'unreachable')),
        B: errorResponse(new Error('boom')),
        C: { frames: [], error: 'the service answered without a result for query C', status: 502, errorSource: 'downstream' },
      },
    },
  ],
  ['many frames over several queries', { responses: { A: ok(Array.from({ length: 300 }, (_, i) => frame(`A${i}`, 3))), B: ok([frame('B', 600)]), C: ok([]) } }],
  // A frame over 2 MB: its length takes four bytes of varint, and the map entry's and the value's too.
  ['a big frame', { responses: { big: ok([frame('big', 200_000)]) } }],
  ['an empty frame', { responses: { A: ok([new Uint8Array(0), frame('A', 1)]) } }],
  [
    'unicode refIds and messages, and keys an object treats apart',
    {
      responses: withNullPrototype({
        'Ä': ok([frame('Ä', 2)]),
        '日本語のクエリ': ok([]),
        '🦊 fox': errorResponse(new Error(`ünïcödé ${'€'.repeat(60)} 🦊`)),
        // Integer-like keys come first in Object.keys order, for protobufjs and for us alike.
        '10': ok([]),
        '2': ok([]),
        '': ok([]),
        '__proto__': ok([frame('__proto__', 1)]),
        constructor: ok([]),
        ['r'.repeat(300)]: ok([]),
      }),
    },
  ],
  [
    'statuses of every varint length, and negative',
    { responses: Object.fromEntries([0, 127, 128, 16_384, 2 ** 31 - 1, -1, -(2 ** 31)].map((status) => [`s${status}`, { ...ok([]), status }])) },
  ],
];

test.each(cases)('%s: the same bytes as protobufjs, and they decode to the answer', (_name, response) => {
  const bytes = ours(response);
  expect(bytes.length).toBe(new QueryDataMessage(response).byteLength);
  expect(bytes.equals(current(response))).toBe(true);
  // Decoded as Grafana's side decodes: each query's frames, byte for byte, its error, status and source.
  const decoded = method.responseDeserialize(bytes) as QueryDataResponse;
  expect(Object.keys(decoded.responses).sort()).toEqual(Object.keys(response.responses).sort());
  for (const [refId, expected] of Object.entries(response.responses)) {
    const got = decoded.responses[refId];
    expect(got.frames.map((f) => Buffer.from(f).toString('base64'))).toEqual(expected.frames.map((f) => Buffer.from(f).toString('base64')));
    expect({ error: got.error, status: got.status, errorSource: got.errorSource }).toEqual({
      error: expected.error,
      status: expected.status,
      errorSource: expected.errorSource,
    });
  }
});

test("the frames are Arrow files still, with their query's refId", () => {
  const response = { responses: { 'Ä': ok([frame('Ä', 5)]) } };
  const decoded = Type.toObject(Type.decode(ours(response)), { bytes: Buffer }) as { responses: Record<string, { frames: Buffer[] }> };
  const table = tableFromIPC(decoded.responses['Ä'].frames[0]);
  expect(table.numRows).toBe(5);
  expect(table.schema.metadata.get('refId')).toBe('Ä');
});

test('written where grpc-js writes it, after its 5-byte header, and nowhere else', () => {
  const response = { responses: { A: ok([frame('A', 10)]), B: errorResponse(new Error('x')) } };
  const message = new QueryDataMessage(response);
  const output = Buffer.alloc(message.byteLength + 5 + 3, 0xee);
  expect(message.copy(output, 5)).toBe(message.byteLength);
  expect(output.subarray(0, 5).equals(Buffer.alloc(5, 0xee))).toBe(true);
  expect(output.subarray(5, 5 + message.byteLength).equals(current(response))).toBe(true);
  expect(output.subarray(5 + message.byteLength).equals(Buffer.alloc(3, 0xee))).toBe(true);
  expect(() => message.copy(Buffer.alloc(message.byteLength + 4), 5)).toThrow(RangeError);
});

test('read as a Buffer it fails, rather than send nothing', () => {
  const message = new QueryDataMessage({ responses: { A: ok([frame('A', 1)]) } });
  expect(() => Buffer.alloc(message.byteLength).set(message as unknown as Uint8Array)).toThrow(TypeError);
  expect(() => Buffer.concat([message as unknown as Uint8Array])).toThrow(TypeError);
});

test('a lone surrogate in a string is written as U+FFFD, so the message stays valid UTF-8 for Go', () => {
  // protobufjs writes a short string's lone surrogate as is (invalid UTF-8, which Go's decoder rejects) and a long one's as U+FFFD.
  const response = { responses: { 'A\ud800': { frames: [], error: 'broken \udc00 text', status: 500, errorSource: 'plugin' as const } } };
  const bytes = ours(response);
  const surrogate = Buffer.from([0xed, 0xa0, 0x80]);
  expect(current(response).includes(surrogate)).toBe(true);
  expect(bytes.includes(surrogate)).toBe(false);
  expect(bytes.includes(Buffer.from('A\ufffd'))).toBe(true);
  const decoded = method.responseDeserialize(bytes) as QueryDataResponse;
  expect(decoded.responses['A\ufffd'].error).toBe('broken \ufffd text');
});

test('a frame that is not bytes is refused with the query it belongs to', () => {
  expect(() => new QueryDataMessage({ responses: { A: { frames: ['AAAA' as unknown as Uint8Array], error: '', status: 200, errorSource: '' } } })).toThrow(
    /query A: a frame is not an Arrow file's bytes/
  );
});
