// A real Trailhound service for backend tests: the Stratus Red Team records ingested into a DuckDB file,
// served by the service's own HTTP API on a loopback port.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../../src/service/api/server';
import { Database } from '../../../src/service/db/database';
import { ingest } from '../../../src/service/ingest';
import { stratusRecords, writeStratusFolder, type CloudTrailRecord } from '../../support/stratus';
import { tempDir } from '../../support/temp';

export const TOKEN = 'backend-test-token';

export interface TestService {
  url: string;
  token: string;
  records: CloudTrailRecord[];
  api: FastifyInstance;
  /** The service's database, for a test that changes what is stored (and puts it back). */
  db: Database;
  close(): Promise<void>;
}

export async function startStratusService(): Promise<TestService> {
  const dir = tempDir('trailhound-backend-');
  writeStratusFolder(path.join(dir, 'logs'));
  const db = await Database.open(path.join(dir, 'db.duckdb'));
  await ingest({ source: path.join(dir, 'logs'), db });
  const api = await buildApi({ db, token: TOKEN });
  const url = await api.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    token: TOKEN,
    records: stratusRecords().map((r) => r.record),
    api,
    db,
    close: async () => {
      await api.close();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

