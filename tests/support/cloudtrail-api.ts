// A loopback HTTP endpoint that speaks the CloudTrail API's JSON 1.1 protocol and answers with the documented
// response shapes, so @aws-sdk/client-cloudtrail's real serialisation and parsing run in the tests.
// (A stand-in for AWS itself, which cannot be reached here.)
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedCall {
  operation: string;
  region: string;
  body: Record<string, unknown>;
}

export type Handler = (call: ReceivedCall) => { status?: number; body: unknown };

export interface TestCloudTrail {
  endpoint: string;
  calls: ReceivedCall[];
  stop(): Promise<void>;
}

// The SDK sends `CloudTrail_20131101.<Operation>`; older clients prefix it with com.amazonaws.cloudtrail.v20131101.
const TARGET = /^(?:com\.amazonaws\.cloudtrail\.v20131101\.)?CloudTrail_20131101\.(\w+)$/;

export async function startTestCloudTrail(handler: Handler): Promise<TestCloudTrail> {
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  const calls: ReceivedCall[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      // The signing scope names the region the client was made for: .../<date>/<region>/cloudtrail/aws4_request
      const region = /Credential=[^/]+\/\d+\/([^/]+)\/cloudtrail\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
      const call = { operation: TARGET.exec(target)?.[1] ?? `unknown target ${target}`, region, body: raw ? JSON.parse(raw) : {} };
      calls.push(call);
      const answer = handler(call);
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A JSON 1.1 error answer, as AWS sends it. */
export const awsError = (type: string, message: string) => ({ status: 400, body: { __type: type, message } });
