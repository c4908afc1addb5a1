// QueryData's answer as protobuf bytes, written by hand: grpc-js copies whatever a serializer returns into a buffer of
// its own (its 5-byte frame header, then the message), so protobufjs's encoded message was a third full copy of the
// Arrow frames. A QueryDataMessage instead writes the message straight into grpc-js's buffer: the frames are copied once.
// The bytes are those protobufjs writes for backend.proto's QueryDataResponse (tests/backend/message.test.ts checks it).
import type { DataResponse, QueryDataResponse } from './types';

/**
 * The most a gRPC message of the plugin's may weigh (grpc-js's limits, both ways; its default send limit is unlimited,
 * its receive limit 4 MB): frames of a big event list can be large. Grafana's client (go-plugin's) accepts 2 GB, but the
 * plugin holds a whole answer, and then a copy of it, in memory.
 */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/** Bytes of a varint. */
function varintLength(value: number): number {
  let n = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

/** A field's tag and its varint length prefix, and the bytes they prefix. */
const delimited = (length: number) => 1 + varintLength(length) + length;

/** An int32 as protobuf writes it: a negative one as its 64-bit two's complement (ten bytes). */
const int32Length = (value: number) => (value < 0 ? 10 : varintLength(value));

interface Entry {
  key: Buffer;
  response: DataResponse;
  error?: Buffer;
  errorSource?: Buffer;
  status?: number;
  /** Bytes of the DataResponse. */
  length: number;
}

/**
 * pluginv2.QueryDataResponse as one message grpc-js writes where it sends it. It is what grpc-js's server reads of a
 * serializer's result (byteLength, then copy(output, 5)); toBuffer() gives the bytes on their own.
 */
export class QueryDataMessage {
  readonly byteLength: number;
  private readonly entries: Entry[] = [];

  constructor(message: QueryDataResponse) {
    let total = 0;
    // As protobufjs: the map's entries in Object.keys order, each with its key and value; a field given (even empty) is written.
    for (const refId of Object.keys(message.responses ?? {})) {
      const response = message.responses[refId];
      // Buffer's UTF-8 writes a lone surrogate as U+FFFD, so the string stays valid UTF-8 (Go's decoder rejects any other).
      const entry: Entry = { key: Buffer.from(refId, 'utf8'), response, length: 0 };
      for (const frame of response.frames ?? []) {
        if (!(frame instanceof Uint8Array)) throw new TypeError(`query ${refId}: a frame is not an Arrow file's bytes`);
        entry.length += delimited(frame.byteLength);
      }
      if (response.error != null) entry.error = Buffer.from(String(response.error), 'utf8');
      if (response.status != null) entry.status = response.status | 0;
      if (response.errorSource != null) entry.errorSource = Buffer.from(String(response.errorSource), 'utf8');
      if (entry.error) entry.length += delimited(entry.error.length);
      if (entry.status !== undefined) entry.length += 1 + int32Length(entry.status);
      if (entry.errorSource) entry.length += delimited(entry.errorSource.length);
      this.entries.push(entry);
      total += delimited(delimited(entry.key.length) + delimited(entry.length));
    }
    this.byteLength = total;
  }

  /** Not a Buffer: were grpc-js to read it as one (output.set(message)), this fails the call rather than send zeros. */
  get length(): never {
    throw new TypeError('a QueryDataMessage is written by its copy(), it is not a Buffer');
  }

  /** Writes the message at target[offset …]; returns the bytes written, as Buffer's copy does. */
  copy(target: Uint8Array, offset = 0): number {
    if (offset + this.byteLength > target.length) {
      throw new RangeError(`QueryDataResponse needs ${this.byteLength} bytes at ${offset}, the buffer has ${target.length}`);
    }
    let pos = offset;
    const varint = (value: number) => {
      while (value >= 128) {
        target[pos++] = (value % 128) | 128;
        value = Math.floor(value / 128);
      }
      target[pos++] = value;
    };
    const bytes = (tag: number, value: Uint8Array) => {
      target[pos++] = tag;
      varint(value.byteLength);
      target.set(value, pos);
      pos += value.byteLength;
    };
    for (const entry of this.entries) {
      target[pos++] = 0x0a; // responses = 1, length-delimited
      varint(delimited(entry.key.length) + delimited(entry.length));
      bytes(0x0a, entry.key); // key = 1
      target[pos++] = 0x12; // value = 2
      varint(entry.length);
      for (const frame of entry.response.frames ?? []) bytes(0x0a, frame); // frames = 1
      if (entry.error) bytes(0x12, entry.error); // error = 2
      if (entry.status !== undefined) {
        target[pos++] = 0x20; // status = 4, varint
        if (entry.status < 0) {
          // As a 64-bit two's complement: ten bytes.
          let value = BigInt.asUintN(64, BigInt(entry.status));
          for (; value >= 128n; value >>= 7n) target[pos++] = Number(value & 127n) | 128;
          target[pos++] = Number(value);
        } else varint(entry.status);
      }
      if (entry.errorSource) bytes(0x2a, entry.errorSource); // errorSource = 5
    }
    if (pos - offset !== this.byteLength) throw new Error(`QueryDataResponse wrote ${pos - offset} bytes, ${this.byteLength} were planned`);
    return this.byteLength;
  }

  /** Bytes of one query's response in a QueryDataResponse (its map entry): the message's bytes are the sum of its entries'. */
  static entryBytes(refId: string, response: DataResponse): number {
    return new QueryDataMessage({ responses: { [refId]: response } }).byteLength;
  }

  toBuffer(): Buffer {
    const buffer = Buffer.allocUnsafe(this.byteLength);
    this.copy(buffer);
    return buffer;
  }
}
