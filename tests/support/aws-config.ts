// The AWS SDK's shared config file written for a test, and a loopback server that stands for AWS itself.
import dns from 'node:dns';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { tempDir } from './temp';

/**
 * `body` run with the AWS SDK's config file `text` (AWS_CONFIG_FILE, its path given to `text`) and AWS_PROFILE
 * `profile` (unset: the default one).
 */
export async function withConfigFile<T>(text: string | ((file: string) => string), body: (file: string) => Promise<T>, profile?: string): Promise<T> {
  const before = { file: process.env.AWS_CONFIG_FILE, profile: process.env.AWS_PROFILE };
  const dir = tempDir('trailhound-aws-config-');
  const file = path.join(dir, 'config');
  fs.writeFileSync(file, typeof text === 'string' ? text : text(file));
  process.env.AWS_CONFIG_FILE = file;
  if (profile === undefined) delete process.env.AWS_PROFILE;
  else process.env.AWS_PROFILE = profile;
  try {
    return await body(file);
  } finally {
    for (const [name, value] of [['AWS_CONFIG_FILE', before.file], ['AWS_PROFILE', before.profile]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The AWS host awsOnLoopback answers at: S3's in us-east-1. */
const AWS_S3_HOST = 's3.us-east-1.amazonaws.com';

/**
 * `body` run with AWS's hosts resolved to loopback in this process, and given an endpoint on one of them
 * (http://s3.us-east-1.amazonaws.com:port), which Trailhound reads as AWS's own, whose requests reach `url`. A bucket
 * the SDK addresses virtual-hosted (bucket.s3.us-east-1.amazonaws.com), as it does AWS's, is moved into the path, as the
 * test servers (fauxqs and the proxies in front of it) read it. `hosts`: each request's Host, for a test to read.
 */
export async function awsOnLoopback<T>(url: string, body: (endpoint: string, hosts: string[]) => Promise<T>): Promise<T> {
  const target = new URL(url);
  const hosts: string[] = [];
  const front = http.createServer((req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    hosts.push(host);
    const bucket = host.endsWith(`.${AWS_S3_HOST}`) ? `/${host.slice(0, -AWS_S3_HOST.length - 1)}` : '';
    const headers = { ...req.headers, host: target.host };
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: `${bucket}${req.url}`, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const lookup = dns.lookup;
  // Node's sockets look their host up through dns.lookup, read at each connection.
  const loopback = ((hostname: string, ...rest: unknown[]) =>
    (lookup as (...args: unknown[]) => void)(/(^|\.)amazonaws\.com$/i.test(hostname) ? '127.0.0.1' : hostname, ...rest)) as typeof dns.lookup;
  dns.lookup = loopback;
  try {
    return await body(`http://${AWS_S3_HOST}:${(front.address() as AddressInfo).port}`, hosts);
  } finally {
    dns.lookup = lookup;
    front.closeAllConnections();
    await new Promise((resolve) => front.close(resolve));
  }
}

/**
 * `body` run with the AWS SDK sending every service's requests to `url`, standing for AWS's own: through the shared
 * config file's endpoint_url, on an AWS host (awsOnLoopback), which Trailhound reads as AWS's.
 */
export async function asAws<T>(url: string, body: () => Promise<T>): Promise<T> {
  return awsOnLoopback(url, (endpoint) => withConfigFile(`[default]\nendpoint_url = ${endpoint}\n`, body));
}
