// Turns our .proto texts into gRPC service definitions, without protoc and without files at run time.
import * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import * as protobuf from 'protobufjs';
import { PROTO_FILES, protoSource } from './protoSources';

/** Decoding options: proto field names as written, int64 as numbers (epoch ms fit), enums as names. */
const OPTIONS = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true } as const;

export interface Protos {
  Data: grpc.ServiceDefinition;
  Diagnostics: grpc.ServiceDefinition;
  Resource: grpc.ServiceDefinition;
  Health: grpc.ServiceDefinition;
  GRPCController: grpc.ServiceDefinition;
  GRPCStdio: grpc.ServiceDefinition;
  /** The parsed protobuf root, for tests that encode or decode messages themselves. */
  root: protobuf.Root;
  /** Client constructors by full service name, for in-process tests. */
  clients: Record<string, grpc.ServiceClientConstructor>;
}

let cached: Protos | undefined;

export function loadProtos(): Protos {
  if (cached) return cached;
  const root = new protobuf.Root();
  for (const file of PROTO_FILES) protobuf.parse(protoSource(file), root, { keepCase: true });
  root.resolveAll();
  const loaded = grpc.loadPackageDefinition(fromJSON(root.toJSON(), OPTIONS));
  const service = (name: string) => {
    const ctor = name.split('.').reduce<any>((o, part) => o?.[part], loaded) as grpc.ServiceClientConstructor | undefined;
    if (!ctor?.service) throw new Error(`proto service ${name} is missing`);
    return ctor;
  };
  const names = ['pluginv2.Data', 'pluginv2.Diagnostics', 'pluginv2.Resource', 'grpc.health.v1.Health', 'plugin.GRPCController', 'plugin.GRPCStdio'];
  const clients = Object.fromEntries(names.map((n) => [n, service(n)]));
  cached = {
    Data: clients['pluginv2.Data'].service,
    Diagnostics: clients['pluginv2.Diagnostics'].service,
    Resource: clients['pluginv2.Resource'].service,
    Health: clients['grpc.health.v1.Health'].service,
    GRPCController: clients['plugin.GRPCController'].service,
    GRPCStdio: clients['plugin.GRPCStdio'].service,
    root,
    clients,
  };
  return cached;
}
