// How the API stops (DESIGN.md, "Service HTTP API"): it sends the answers in progress and closes each connection after
// its answer, ends the connections that give none after a grace, and every one at a deadline, so serve's stop is
// bounded whatever the clients do, inside Docker's 30 s grace.
import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/**
 * Once the stop begins, how long a connection that gives no answer (its request half sent, or none) is left before the
 * service ends it. Node's close waits for it until the client goes, and no longer checks the time requests take.
 */
export const STOP_GRACE_MS = 5_000;
/**
 * Once the stop begins, when every connection is ended, answers still being made too (their statements interrupted,
 * as for a client gone). A statement may run 30 s and a request 50 s, past Docker's 30 s grace; 20 s leaves the rest
 * for the interrupt and the database's close.
 */
export const STOP_DEADLINE_MS = 20_000;

/** The stop's bounds (tests shorten them). */
export interface StopBounds {
  graceMs?: number;
  deadlineMs?: number;
}

/**
 * Adds the hooks that bound `app`'s stop; `serversClosed` resolves once every server it listens with has closed (its
 * onClose waits for it before closing what the answers read).
 */
export function boundStop(app: FastifyInstance, bounds: StopBounds = {}): { serversClosed: () => Promise<unknown> } {
  // Once the service stops, every answer closes its connection after it. Node's close ends only the idle connections,
  // and fastify marks only the requests that come after it: a client that kept its connection after an answer to a
  // request already running held the close, and serve's stop, until the keep-alive timeout (72 s), past Docker's 30 s.
  let stopping = false;
  // And a connection giving no answer (a request half sent, or none: Node's close waits for it until the client goes)
  // is ended after a grace, and every one at the deadline: the stop is bounded whatever the clients do.
  const connections = new Set<Socket>();
  const latestAnswer = new WeakMap<Socket, ServerResponse>();
  // Listening on localhost, fastify binds each of its addresses (127.0.0.1 and ::1) with a server of its own beside
  // app.server, and its close waits for app.server only: their connections are tracked and ended alike, and the stop
  // waits for them, or one kept open on ::1 held the process after serve's "stopped" (with the database closed under it).
  const servers: Server[] = [];
  let serversClosed: Promise<unknown> = Promise.resolve();
  const track = (server: Server) => {
    servers.push(server);
    server.on('connection', (socket: Socket) => {
      connections.add(socket);
      socket.once('close', () => connections.delete(socket));
    });
    server.on('request', (request: IncomingMessage, response: ServerResponse) => latestAnswer.set(request.socket, response));
  };
  track(app.server);
  // fastify names no public way to them; the lookup is checked against its public addresses(), which counts them. Should
  // a fastify upgrade move them, the service still runs (the stop just does not reach them) and says so; a test fails.
  app.addHook('onListen', async () => {
    const bindings = Object.getOwnPropertySymbols(app).find((symbol) => symbol.description === 'fastify.serverBindings');
    const others = ((bindings && (app as unknown as Record<symbol, unknown>)[bindings]) ?? []) as Server[];
    if (others.length !== app.addresses().length - 1) {
      app.log.warn({ addresses: app.addresses().length }, "a stop may wait for clients of the API's other addresses: this fastify keeps its servers elsewhere");
      return;
    }
    others.forEach(track);
  });
  /** Whether a connection is giving an answer: one not sent whole yet, to a request that arrived whole (or begun before it had). */
  const answering = (socket: Socket) => {
    const response = latestAnswer.get(socket);
    return response !== undefined && !response.writableFinished && (response.req.complete || response.headersSent);
  };
  app.addHook('preClose', async () => {
    stopping = true;
    const endIdle = setTimeout(() => {
      for (const socket of connections) if (!answering(socket)) socket.destroy();
    }, bounds.graceMs ?? STOP_GRACE_MS);
    const deadlineMs = bounds.deadlineMs ?? STOP_DEADLINE_MS;
    const endAll = setTimeout(() => {
      const cut = [...connections].filter(answering).length;
      if (cut) app.log.warn({ answers: cut, afterMs: deadlineMs }, 'the stop ended the answers still being made: they took longer than a stop waits');
      servers.forEach((server) => server.closeAllConnections());
    }, deadlineMs);
    // fastify closes the other servers once app.server has closed.
    serversClosed = Promise.all(servers.filter((server) => server.listening).map((server) => once(server, 'close')));
    void serversClosed.then(() => [endIdle, endAll].forEach(clearTimeout));
  });
  app.addHook('onSend', async (_request, reply) => {
    if (stopping) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (_request, reply) => {
    // An answer whose headers went before the stop (a long answer to a slow reader) could not say it closes: its
    // connection, idle once the answer is sent, is closed here (Node passes over one still busy).
    if (stopping && reply.getHeader('connection') !== 'close') servers.forEach((server) => server.closeIdleConnections());
  });
  return { serversClosed: () => serversClosed };
}
