// A test file's database, served by the service's API over loopback HTTP for all of its tests.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi, type ApiOptions } from '../../src/service/api/server';
import { Database } from '../../src/service/db/database';
import { tempDir } from './temp';

export interface ServedDatabase {
  /** The temporary folder the database is in: what a test writes there is removed with it. */
  dir: string;
  db: Database;
  /** The API's address, http://127.0.0.1:<port>. */
  url: string;
}

/**
 * Before the file's tests (beforeAll, within `setupMs`): a new database `file` in a temporary folder, filled by `fill`,
 * and an API on it (buildApi with `options`); after them (afterAll) both are closed and the folder removed. The fields
 * are set once the set-up has run.
 */
export function withApi(
  file: string,
  options: Omit<ApiOptions, 'db'>,
  fill: (db: Database, dir: string) => Promise<unknown>,
  setupMs = 60_000
): ServedDatabase {
  const served = {} as ServedDatabase;
  let api: FastifyInstance | undefined;
  beforeAll(async () => {
    served.dir = tempDir();
    served.db = await Database.open(path.join(served.dir, file));
    await fill(served.db, served.dir);
    api = await buildApi({ db: served.db, ...options });
    served.url = await api.listen({ host: '127.0.0.1', port: 0 });
  }, setupMs);
  // What the set-up got to, should it have failed part way.
  afterAll(async () => {
    await api?.close();
    served.db?.close();
    if (served.dir) fs.rmSync(served.dir, { recursive: true, force: true });
  });
  return served;
}
