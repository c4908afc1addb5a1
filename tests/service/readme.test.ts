// The README's shell examples, run as a newcomer copies them: against a service holding logs of the last days (as
// the bundled sample is), they must answer events, whatever day they are run.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { writeLogFolder } from '../../src/generator';
import { buildApi } from '../../src/service/api/server';
import { Database } from '../../src/service/db/database';
import { ingest } from '../../src/service/ingest';
import type { QueryResponse } from '../../src/model/api';
import { ROOT, runCli } from '../support/cli';
import { tempDir } from '../support/temp';

const TOKEN = 'readme-token-1234567890';
let dir: string;
let db: Database;
let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  dir = tempDir();
  await writeLogFolder(path.join(dir, 'logs'), { events: 5_000, days: 14, end: new Date(), seed: 1 });
  db = await Database.open(path.join(dir, 'db.duckdb'));
  await ingest({ source: path.join(dir, 'logs'), db });
  const api = await buildApi({ db, token: TOKEN, backfill: async () => undefined });
  url = await api.listen({ host: '127.0.0.1', port: 0 });
  close = () => api.close();
}, 120_000);

afterAll(async () => {
  await close();
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("the README's /api/query curl example answers events of the last days, not a fixed month's nothing", async () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = readme.split('```sh\n').map((b) => b.slice(0, b.indexOf('```'))).find((b) => b.includes('/api/query'));
  expect(block).toBeDefined();
  // From the query's comment on; the token from the environment, and this test's service where the README's listens.
  const lines = block!.split('\n');
  const script = lines.slice(lines.findIndex((l) => l.startsWith('# unauthorized'))).join('\n').replaceAll('http://127.0.0.1:7480', url);
  // Fixed dates answer nothing once the logs of the last days have moved past them.
  expect(script).not.toMatch(/\d{4}-\d{2}-\d{2}/);
  // Not execFileSync: the service answering curl runs in this process.
  const { stdout } = await promisify(execFile)('bash', ['-c', script], { env: { ...process.env, TOKEN }, timeout: 20_000 });
  const answer = JSON.parse(stdout) as QueryResponse;
  const result = answer.results.A;
  expect('frames' in result && result.frames[0].fields[0].values.length).toBeGreaterThan(0);
}, 30_000);

test("the README's --role example names a permission set's role that the sample's logs hold, so it answers events", async () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const role = /trailhound report events --role (\S+)/.exec(readme)?.[1];
  expect(role).toMatch(/^AWSReservedSSO_AdministratorAccess_[0-9a-f]{16}$/);
  const queries = [{ refId: 'A', format: 'table', groupBy: 'none', filters: { role: [role] } }];
  const body = JSON.stringify({ range: { from: Date.now() - 15 * 86_400_000, to: Date.now() }, queries });
  const res = await fetch(`${url}/api/query`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body });
  const result = ((await res.json()) as QueryResponse).results.A;
  expect('frames' in result && result.frames[0].fields[1].values[0]).toBeGreaterThan(0);
});

test("every command of the README's report block runs as written against a service: its flags' values are still the CLI's", async () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = readme.split('```sh\n').map((b) => b.slice(0, b.indexOf('```'))).find((b) => b.includes('npx trailhound report totals'));
  expect(block).toBeDefined();
  const commands = block!
    .split('\n')
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter((line) => line !== '');
  // The block's examples, not a split that stopped finding them.
  expect(commands.length).toBeGreaterThanOrEqual(10);
  // The service answers, as for a database in Docker: no file of this checkout is read.
  const env = { TRAILHOUND_URL: url, TRAILHOUND_TOKEN: TOKEN, TRAILHOUND_DB: '', TRAILHOUND_LISTEN: '' };
  const failed: string[] = [];
  for (const command of commands) {
    const [npx, name, ...args] = command.split(/\s+/);
    expect([npx, name]).toEqual(['npx', 'trailhound']);
    const { code, stderr } = await runCli(args, env);
    if (code !== 0 || stderr !== '') failed.push(`${command}: exit ${code} ${stderr.trim()}`);
  }
  expect(failed).toEqual([]);
}, 180_000);

test("the README's generate example prints, as its next step, the ingest line the README gives after it", async () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const lines = readme.split('\n').map((line) => line.replace(/(^|\s)#.*$/, '').trim());
  const at = lines.findIndex((line) => line.startsWith('npx trailhound generate '));
  expect(at).toBeGreaterThan(0);
  // A folder of this test's, where the README writes into the checkout.
  const out = /--out (\S+)/.exec(lines[at])![1];
  const args = lines[at].split(/\s+/).slice(2).map((arg) => (arg === out ? path.join(dir, 'generated') : arg));
  const { code, stdout } = await runCli(args);
  expect(code).toBe(0);
  const next = /^Next: (.+), then /m.exec(stdout)?.[1];
  expect(`npx ${next}`).toBe(lines[at + 1].replaceAll(out, path.join(dir, 'generated')));
}, 60_000);
