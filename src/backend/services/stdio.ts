// plugin.GRPCStdio/StreamStdio: go-plugin may ask for the plugin's stdout/stderr over gRPC. Ours go
// straight to the host's pipes (logs on stderr, the handshake alone on stdout), so the stream stays open
// and idle until the host hangs up or the plugin stops.
import type * as grpc from '@grpc/grpc-js';

export class StdioStreams {
  private readonly open = new Set<grpc.ServerWritableStream<unknown, unknown>>();

  attach(call: grpc.ServerWritableStream<unknown, unknown>): void {
    this.open.add(call);
    const forget = () => this.open.delete(call);
    call.on('cancelled', forget);
    call.on('close', forget);
    call.on('error', forget);
  }

  /** Ends every stream, so a graceful server stop need not wait for them. */
  closeAll(): void {
    for (const call of this.open) call.end();
    this.open.clear();
  }

  get size(): number {
    return this.open.size;
  }
}
