// Where the .proto texts come from. In development and tests they are read from src/backend/proto/; the
// bundle (scripts/build-backend.mjs) swaps this module for one with the texts inlined, so the single
// executable needs no files beside it.
import fs from 'node:fs';
import path from 'node:path';

export const PROTO_FILES = ['backend.proto', 'plugin.proto', 'health.proto'] as const;
export type ProtoFile = (typeof PROTO_FILES)[number];

export function protoSource(name: ProtoFile): string {
  return fs.readFileSync(path.join(__dirname, 'proto', name), 'utf8');
}
