// The gRPC server Grafana talks to: the pluginv2 services plus go-plugin's health, controller and stdio.
import * as grpc from '@grpc/grpc-js';
import { messageOf } from '../model/errorMessage';
import { MAX_MESSAGE_BYTES, QueryDataMessage } from './message';
import { loadProtos } from './protos';
import type { Runtime } from './runtime';
import { DeadlineExceeded } from './serviceClient';
import { shutdown } from './services/controller';
import { queryData } from './services/data';
import { checkHealth, collectMetrics } from './services/diagnostics';
import { healthCheck } from './services/health';
import { callResource } from './services/resource';
import { StdioStreams } from './services/stdio';
import type { QueryDataResponse } from './types';

export interface PluginServer {
  server: grpc.Server;
  host: string;
  port: number;
  address: string;
  /** Graceful stop, forced after graceMs. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * How early before its deadline a call's cancellation is still the deadline's: the client cancels at its own deadline,
 * which the server reckons from the moment the call arrived, a network's delay later.
 */
const DEADLINE_SLACK_MS = 100;

/** An AbortSignal that fires when Grafana cancels the call or its deadline passes. */
function callSignal(call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : Number(deadline);
  // At the deadline grpc-js cancels the call itself (and Grafana's client does), before the timer below fires: a deadline
  // passing (an alert rule's evaluation timing out) is a timeout to warn of, not someone who went away.
  call.on('cancelled', () => controller.abort(Date.now() >= at - DEADLINE_SLACK_MS ? new DeadlineExceeded() : undefined));
  const ms = at - Date.now();
  const timer = Number.isFinite(ms) ? setTimeout(() => controller.abort(new DeadlineExceeded()), Math.max(0, ms)) : undefined;
  return { signal: controller.signal, done: () => timer && clearTimeout(timer) };
}

function grpcError(err: unknown): Partial<grpc.ServiceError> {
  const code = typeof (err as { code?: unknown })?.code === 'number' ? (err as { code: number }).code : grpc.status.INTERNAL;
  return { code, details: messageOf(err), message: messageOf(err) };
}

function unary<Req, Res>(runtime: Runtime, endpoint: string, fn: (request: Req, signal: AbortSignal) => Promise<Res> | Res): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const { signal, done } = callSignal(call as grpc.ServerUnaryCall<unknown, unknown>);
    const end = runtime.metrics.callDuration.startTimer({ endpoint });
    Promise.resolve()
      .then(() => fn(call.request, signal))
      .then(
        (response) => {
          runtime.metrics.calls.inc({ endpoint, status: 'ok' });
          callback(null, response);
        },
        (err) => {
          runtime.metrics.calls.inc({ endpoint, status: 'error' });
          if (endpoint !== 'health') runtime.logger.error('call failed', { endpoint, error: err });
          callback(grpcError(err));
        }
      )
      .finally(() => {
        done();
        end();
      });
  };
}

export function createServer(runtime: Runtime, stdio = new StdioStreams(), maxMessageBytes = MAX_MESSAGE_BYTES): grpc.Server {
  const protos = loadProtos();
  const server = new grpc.Server({
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
  });
  // QueryData's answer is written straight into the buffer grpc-js sends (see message.ts), not encoded by protobufjs and copied.
  const queryDataMethod = { ...protos.Data.QueryData, responseSerialize: (response: QueryDataResponse) => new QueryDataMessage(response) as unknown as Buffer };
  server.addService({ ...protos.Data, QueryData: queryDataMethod }, {
    QueryData: unary(runtime, 'queryData', (req: any, signal) => queryData(req, runtime, signal, maxMessageBytes)),
  });
  server.addService(protos.Diagnostics, {
    CheckHealth: unary(runtime, 'checkHealth', (req: any, signal) => checkHealth(req, runtime, signal)),
    CollectMetrics: unary(runtime, 'collectMetrics', () => collectMetrics(runtime)),
  });
  server.addService(protos.Resource, {
    CallResource: (call: grpc.ServerWritableStream<any, any>) => {
      const { signal, done } = callSignal(call);
      const end = runtime.metrics.callDuration.startTimer({ endpoint: 'callResource' });
      callResource(call.request, runtime, signal)
        .then((response) => {
          runtime.metrics.calls.inc({ endpoint: 'callResource', status: String(response.code) });
          // One message carries the whole answer; the stream exists for plugins that send bodies in parts.
          call.write(response);
          call.end();
        })
        .catch((err) => {
          runtime.metrics.calls.inc({ endpoint: 'callResource', status: 'error' });
          runtime.logger.error('call failed', { endpoint: 'callResource', error: err });
          call.destroy(Object.assign(new Error(String(err?.message ?? err)), { code: grpc.status.INTERNAL }));
        })
        .finally(() => {
          done();
          end();
        });
    },
  });
  server.addService(protos.Health, {
    Check: unary(runtime, 'health', (req: any) => healthCheck(req.service ?? '')),
  });
  server.addService(protos.GRPCController, {
    Shutdown: unary(runtime, 'shutdown', () => shutdown(runtime)),
  });
  server.addService(protos.GRPCStdio, {
    StreamStdio: (call: grpc.ServerWritableStream<any, any>) => stdio.attach(call),
  });
  return server;
}

function bind(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
}

/** Binds to 127.0.0.1: a free port of the host's range (tried from a random start), else any free port. */
async function bindLoopback(server: grpc.Server, host: string, range?: { min: number; max: number }): Promise<number> {
  if (range) {
    const size = range.max - range.min + 1;
    const start = Math.floor(Math.random() * size);
    for (let i = 0; i < Math.min(size, 100); i++) {
      try {
        return await bind(server, `${host}:${range.min + ((start + i) % size)}`);
      } catch {
        // in use: try the next one
      }
    }
  }
  return bind(server, `${host}:0`);
}

export async function startServer(
  runtime: Runtime,
  /** maxMessageBytes: MAX_MESSAGE_BYTES unless told (less in tests). */
  options: { host?: string; range?: { min: number; max: number }; maxMessageBytes?: number } = {}
): Promise<PluginServer> {
  const host = options.host ?? '127.0.0.1';
  const stdio = new StdioStreams();
  const server = createServer(runtime, stdio, options.maxMessageBytes);
  const port = await bindLoopback(server, host, options.range);
  return {
    server,
    host,
    port,
    address: `${host}:${port}`,
    stop: (graceMs = 1000) =>
      new Promise<void>((resolve) => {
        stdio.closeAll();
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
