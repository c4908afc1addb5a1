// The AWS SDK pointed at a loopback server that stands for AWS itself.
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './temp';

/**
 * `body` run with the AWS SDK sending every service's requests to `url`, standing for AWS's own: through the shared
 * config file's endpoint_url, which Trailhound does not read (awsEndpoints.ts configuredEndpoint), so to it they go to AWS.
 */
export async function asAws<T>(url: string, body: () => Promise<T>): Promise<T> {
  const before = { file: process.env.AWS_CONFIG_FILE, profile: process.env.AWS_PROFILE };
  const dir = tempDir('trailhound-aws-config-');
  const file = path.join(dir, 'config');
  fs.writeFileSync(file, `[default]\nendpoint_url = ${url}\n`);
  process.env.AWS_CONFIG_FILE = file;
  delete process.env.AWS_PROFILE;
  try {
    return await body();
  } finally {
    if (before.file === undefined) delete process.env.AWS_CONFIG_FILE;
    else process.env.AWS_CONFIG_FILE = before.file;
    if (before.profile !== undefined) process.env.AWS_PROFILE = before.profile;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
