// A database written by an older Trailhound opens and gains the newer columns; its events are kept.
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Database, MIGRATION_STEPS, type LongMigration } from '../../src/service/db/database';
import { SCHEMA_SQL, SCHEMA_VERSION } from '../../src/service/db/schema';
import { resolveQuery, type TrailhoundQuery } from '../../src/model/query';
import { ingest } from '../../src/service/ingest';
import { Reports } from '../../src/service/reports';
import { writeLogFolder } from '../../src/generator';
import { generatedRecords } from '../support/oracle';
import { logFile, stratusRecords, writeStratusFolder } from '../support/stratus';
import { storedRecords, tempDir, writeFiles } from '../support/temp';

/** A ConsoleLogin row as an older Trailhound stored it, with `columns` (SQL `expression AS name`) added. */
const consoleLogin = (id: string, user: string, identityType: string, columns: string) =>
  `SELECT '${id}' AS event_id, TIMESTAMP '2026-01-01' AS event_time, 'ConsoleLogin' AS event_name,
     'signin.amazonaws.com' AS event_source, 'signin' AS service, 'us-east-1' AS region, '111122223333' AS account, '${user}' AS user_name,
     '${identityType}' AS identity_type, '' AS source_ip, false AS source_is_ip, false AS read_only, false AS is_error, false AS is_unauthorized,
     'k' AS object_key, ${columns}`;

/** A ConsoleLogin an older Trailhound stored as refused with this error code and message. */
const refused = (id: string, code: string, message: string) =>
  consoleLogin(id, id, 'IAMUser', `'${code}' AS error_code, '${message}' AS error_message, NULL AS mfa_used, [] AS resources`);

/** Writes `file` as an older Trailhound left it: its schema (with `then` run on it), its events and its schema version. */
async function writeOldDatabase(file: string, version: number, schema: string, events: string, then = ''): Promise<void> {
  const old = await DuckDBInstance.create(file);
  const conn = await old.connect();
  try {
    await conn.run(schema);
    if (then) await conn.run(then);
    await conn.run(`INSERT INTO events BY NAME ${events}`);
    await conn.run(`INSERT INTO meta VALUES ('schema_version', '${version}')`);
  } finally {
    conn.closeSync();
    old.closeSync();
  }
}

test('a version 1 database (no mfa_used, no resource index, a record copy per event) is migrated in place', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'v1.duckdb');
  try {
    // Version 1 is today's schema without mfa_used, arrived_at and the resource index, and with each record copied
    // into its event.
    const v1 = SCHEMA_SQL.replace(/--[^\n]*/g, '')
      .replace(/CREATE TABLE IF NOT EXISTS (event_resources|log_objects|unreadable_originals) \([^;]*\);/g, '')
      .replace(/record_index +INTEGER,\s*arrived_at +TIMESTAMP/, 'record MAP(VARCHAR, JSON) NOT NULL')
      .split('\n')
      .filter((line) => !/mfa_used|invoked_by|role_name|ADD COLUMN IF NOT EXISTS (record_index|arrived_at)|ALTER TABLE log_objects/.test(line))
      .join('\n');
    expect(v1).not.toMatch(/mfa_used|invoked_by|role_name|event_resources|log_objects|record_index|arrived_at/);
    await writeOldDatabase(
      file,
      1,
      v1,
      consoleLogin(
        'old-1',
        'alice',
        'IAMUser',
        `[{'id': 'i-0abc', 'name': 'i-0abc'}, {'id': 'arn:aws:s3:::logs', 'name': 'logs'}] AS resources,
          MAP {'eventID': '"old-1"', 'eventName': '"ConsoleLogin"'}::MAP(VARCHAR, JSON) AS record`
      )
    );

    const db = await Database.open(file);
    try {
      const rows = await db.all<{ event_id: string; mfa_used: boolean | null }>('SELECT event_id, mfa_used, event_category FROM events');
      // Its category read from the record it kept (which says none: what every trail logs).
      expect(rows).toEqual([{ event_id: 'old-1', mfa_used: null, event_category: 'Management' }]);
      expect(await db.one('SELECT value FROM meta WHERE key = $k', { k: 'schema_version' })).toEqual({ value: String(SCHEMA_VERSION) });
      // The resource index is filled from the stored events: one row per distinct id or name.
      const index = await db.all<{ n: bigint }>(
        `SELECT count(*) AS n FROM event_resources WHERE event_id = 'old-1' AND key_hash IN (hash('i-0abc'), hash('arn:aws:s3:::logs'), hash('logs'))`
      );
      expect(Number(index[0].n)).toBe(3);
      // New events keep their records in log_objects; the old ones still read theirs from the copy.
      const logs = writeFiles(path.join(dir, 'logs'), {
        'new.json.gz': logFile([{ eventID: 'new-1', eventTime: '2026-01-02T00:00:00Z', eventName: 'StartInstances' }]),
      });
      expect(await ingest({ source: logs, db, days: 3650 })).toMatchObject({ events: 1, errors: 0 });
      expect(Object.fromEntries(await storedRecords(db, ['old-1', 'new-1']))).toEqual({
        'old-1': { eventID: 'old-1', eventName: 'ConsoleLogin' },
        'new-1': { eventID: 'new-1', eventTime: '2026-01-02T00:00:00Z', eventName: 'StartInstances' },
      });
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Rows of `sql` once the current Trailhound has opened (and so migrated) a database an older version wrote. */
async function afterMigration<T>(version: number, events: string, sql: string, then = ''): Promise<T[]> {
  const dir = tempDir();
  const file = path.join(dir, `v${version}.duckdb`);
  try {
    await writeOldDatabase(file, version, SCHEMA_SQL, events, then);
    const db = await Database.open(file);
    try {
      return await db.all<T>(sql);
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("a version 4 database forgets what it stored as federated sign-ins' MFA; IAM users' stays", async () => {
  const login = (id: string, identityType: string) => consoleLogin(id, id, identityType, 'false AS mfa_used, [] AS resources');
  const rows = await afterMigration<{ event_id: string; mfa_used: boolean | null }>(
    4,
    [login('sso', 'AssumedRole'), login('iam', 'IAMUser'), login('root', 'Root')].join(' UNION ALL '),
    'SELECT event_id, mfa_used FROM events ORDER BY event_id'
  );
  expect(rows).toEqual([
    { event_id: 'iam', mfa_used: false },
    { event_id: 'root', mfa_used: false },
    { event_id: 'sso', mfa_used: null },
  ]);
});

test('a version 5 database marks as unauthorized the refusals its message rule missed; other errors stay', async () => {
  // Stored by version 5, whose rule wanted the message to start with "not authorized": all three were errors only.
  const rows = await afterMigration<{ event_id: string; is_unauthorized: boolean }>(
    5,
    [
      refused('sns', 'AuthorizationError', 'User: arn:aws:iam::111122223333:user/bob is not authorized to perform: SNS:Subscribe'),
      refused('message', 'InvalidClientTokenId', 'You are not authorized to perform this operation.'),
      refused('throttled', 'ThrottlingException', 'Rate exceeded'),
    ].join(' UNION ALL '),
    'SELECT event_id, is_unauthorized FROM events ORDER BY event_id'
  );
  expect(rows).toEqual([
    { event_id: 'message', is_unauthorized: true },
    { event_id: 'sns', is_unauthorized: true },
    { event_id: 'throttled', is_unauthorized: false },
  ]);
});

test('a version 8 database marks as unauthorized the UnauthorizedOperationException refusals its rule missed', async () => {
  const rows = await afterMigration<{ event_id: string; is_unauthorized: boolean }>(
    8,
    [refused('workdocs', 'UnauthorizedOperationException', 'User lacks permission'), refused('throttled', 'ThrottlingException', 'Rate exceeded')].join(
      ' UNION ALL '
    ),
    'SELECT event_id, is_unauthorized FROM events ORDER BY event_id'
  );
  expect(rows).toEqual([
    { event_id: 'throttled', is_unauthorized: false },
    { event_id: 'workdocs', is_unauthorized: true },
  ]);
});

test('a version 17 database marks as unauthorized the refusals of a VPC endpoint\'s policy (VpceAccessDenied) and EC2\'s Client.AuthFailure', async () => {
  const rows = await afterMigration<{ event_id: string; is_unauthorized: boolean }>(
    17,
    [
      refused('vpce', 'VpceAccessDenied', 'The request was denied due to a VPC endpoint policy'),
      refused('ec2', 'Client.AuthFailure', 'AWS was not able to validate the provided access credentials'),
      refused('throttled', 'ThrottlingException', 'Rate exceeded'),
    ].join(' UNION ALL '),
    'SELECT event_id, is_unauthorized FROM events ORDER BY event_id'
  );
  expect(rows).toEqual([
    { event_id: 'ec2', is_unauthorized: true },
    { event_id: 'throttled', is_unauthorized: false },
    { event_id: 'vpce', is_unauthorized: true },
  ]);
});

test('a version 17 database names a caller of another account with its account, as ingestion now does', async () => {
  const call = (id: string, user: string, arn: string) =>
    consoleLogin(id, user, 'AssumedRole', `'${arn}' AS principal_arn, NULL AS mfa_used, [] AS resources`);
  const rows = await afterMigration<{ event_id: string; user_name: string }>(
    17,
    [
      call('theirs', 'RoleX', 'arn:aws:sts::444455556666:assumed-role/RoleX/s1'),
      call('ours', 'RoleX', 'arn:aws:sts::111122223333:assumed-role/RoleX/s2'),
      // The ARN is the name (the last resort): it says its account already.
      call('arn-named', 'arn:aws:iam::444455556666:user/x', 'arn:aws:iam::444455556666:user/x'),
    ].join(' UNION ALL '),
    'SELECT event_id, user_name FROM events ORDER BY event_id'
  );
  expect(rows).toEqual([
    { event_id: 'arn-named', user_name: 'arn:aws:iam::444455556666:user/x' },
    { event_id: 'ours', user_name: 'RoleX' },
    { event_id: 'theirs', user_name: 'RoleX (account 444455556666)' },
  ]);
});

test('a version 18 database names the role of a caller of another account with its account, as its user already is', async () => {
  // As version 18 stored them: the user named with the caller's account, the role not.
  const call = (id: string, user: string, role: string | null, arn: string) =>
    consoleLogin(id, user, role === null ? 'IAMUser' : 'AssumedRole', `${role === null ? 'NULL' : `'${role}'`} AS role_name, '${arn}' AS principal_arn,
      NULL AS mfa_used, [] AS resources`);
  const rows = await afterMigration<{ event_id: string; user_name: string; role_name: string | null }>(
    18,
    [
      call('theirs', 'RoleX (account 444455556666)', 'RoleX', 'arn:aws:sts::444455556666:assumed-role/RoleX/s1'),
      call('ours', 'RoleX', 'RoleX', 'arn:aws:sts::111122223333:assumed-role/RoleX/s2'),
      call('their-user', 'bob (account 444455556666)', null, 'arn:aws:iam::444455556666:user/bob'),
    ].join(' UNION ALL '),
    'SELECT event_id, user_name, role_name FROM events ORDER BY event_id'
  );
  expect(rows).toEqual([
    { event_id: 'ours', user_name: 'RoleX', role_name: 'RoleX' },
    { event_id: 'their-user', user_name: 'bob (account 444455556666)', role_name: null },
    // The user is not named twice.
    { event_id: 'theirs', user_name: 'RoleX (account 444455556666)', role_name: 'RoleX (account 444455556666)' },
  ]);
});

test("a version 19 database gives its kept log files their key's day, once; stopped, it stays as it was", async () => {
  const dir = tempDir();
  const file = path.join(dir, 'v19.duckdb');
  const keys = [
    'AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/14/111122223333_CloudTrail_eu-west-1_a.json.gz',
    'trails/AWSLogs/o-abcdefghij/111122223333/CloudTrail/us-east-1/2025/01/31/b.json.gz#0123abcd-2',
    'AWSLogs/111122223333/CloudTrail/us-east-1/2025/13/01/month-13.json.gz',
    'plain.json',
  ];
  const days = `SELECT key, day::VARCHAR AS day FROM log_objects ORDER BY key`;
  const expected = [
    { key: keys[0], day: '2026-11-14' },
    { key: keys[2], day: null },
    { key: keys[3], day: null },
    { key: keys[1], day: '2025-01-31' },
  ];
  try {
    // Version 19: log_objects without its day, and no table of unreadable kept files.
    const v19 = SCHEMA_SQL.replace('archive VARCHAR NOT NULL,', 'archive VARCHAR NOT NULL')
      .replace(/CREATE TABLE IF NOT EXISTS unreadable_originals \([^;]*\);/, '')
      .split('\n')
      .filter((line) => !/^\s*day +DATE|ADD COLUMN IF NOT EXISTS day/.test(line))
      .join('\n');
    expect(v19).not.toMatch(/\bday +DATE|unreadable_originals/);
    const rows = keys.map((key, i) => `('${key}', 'logs', 'etag', 'batch-${i}.parquet')`).join(', ');
    await writeOldDatabase(file, 19, v19, consoleLogin('e', 'alice', 'IAMUser', '[] AS resources'), `INSERT INTO log_objects VALUES ${rows}`);

    // Stopped as it opens: nothing of the migration is kept, not even the column.
    const stop = new AbortController();
    stop.abort(new Error('stopped by the test'));
    await expect(Database.open(file, { signal: stop.signal })).rejects.toThrow('stopped by the test');
    let db = await Database.open(file, { readOnly: true });
    expect(await db.one(`SELECT value FROM meta WHERE key = 'schema_version'`)).toEqual({ value: '19' });
    expect(await db.hasColumn('log_objects', 'day')).toBe(false);
    db.close();

    db = await Database.open(file);
    expect(await db.all(days)).toEqual(expected);
    expect(await db.one(`SELECT value FROM meta WHERE key = 'schema_version'`)).toEqual({ value: String(SCHEMA_VERSION) });
    expect(await db.all(`SELECT * FROM unreadable_originals`)).toEqual([]);
    // Again from version 19 (the column there already): the same days.
    await db.run(`UPDATE meta SET value = '19' WHERE key = 'schema_version'`);
    db.close();
    db = await Database.open(file);
    try {
      expect(await db.all(days)).toEqual(expected);
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a version 9 database gives another account's role sessions their role and person before naming both with that account", async () => {
  // As version 9 stored them: an AssumedRole's user was its role, no role_name column.
  const session = (id: string, user: string, sessionName: string, arn: string) =>
    consoleLogin(id, user, 'AssumedRole', `'${sessionName}' AS session_name, '${arn}' AS principal_arn, NULL AS mfa_used, [] AS resources`);
  const sso = 'AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b';
  const rows = await afterMigration<{ event_id: string; user_name: string; role_name: string | null; permission_set: string | null }>(
    9,
    [
      session('grace', sso, 'grace@example.com', `arn:aws:sts::444455556666:assumed-role/${sso}/grace@example.com`),
      session('reader', 'Reader', 'ci-run-7', 'arn:aws:sts::444455556666:assumed-role/Reader/ci-run-7'),
    ].join(' UNION ALL '),
    'SELECT event_id, user_name, role_name, permission_set FROM events ORDER BY event_id',
    'ALTER TABLE events DROP COLUMN role_name'
  );
  expect(rows).toEqual([
    {
      event_id: 'grace',
      user_name: 'grace@example.com (account 444455556666)',
      role_name: `${sso} (account 444455556666)`,
      permission_set: 'AdministratorAccess',
    },
    { event_id: 'reader', user_name: 'Reader (account 444455556666)', role_name: 'Reader (account 444455556666)', permission_set: null },
  ]);
});

test('a version 6 database gives its events the arrival of their log files, as its ledger recorded it', async () => {
  const event = (id: string, objectKey: string) =>
    consoleLogin(id, id, 'IAMUser', 'NULL AS mfa_used, [] AS resources').replace(`'k' AS object_key`, `'${objectKey}' AS object_key`);
  const rows = await afterMigration<{ event_id: string; arrived_at: string | null }>(
    6,
    [
      event('first', 'a.json.gz'), event('kept', 'b.json.gz'), event('rewritten', 'b.json.gz#e2'), event('later', 'd.json.gz'),
      event('unlisted', 'c.json.gz'),
    ].join(' UNION ALL '),
    `SELECT event_id, strftime(arrived_at, '%H:%M') AS arrived_at FROM events ORDER BY event_id`,
    // Version 6 had no arrived_at; b.json.gz was ingested twice, rewritten in between (its second version is b#e2).
    // d.json.gz too, but its first version held only duplicates: not kept, so the second is stored under d itself.
    `ALTER TABLE events DROP COLUMN arrived_at;
     ALTER TABLE ingested_objects DROP COLUMN events_pruned_before;
     INSERT INTO ingested_objects VALUES
       ('logs', 'a.json.gz', 'e1', 1, 1, 1, 0, TIMESTAMP '2026-01-01 10:00'),
       ('logs', 'b.json.gz', 'e1', 1, 1, 1, 0, TIMESTAMP '2026-01-01 11:00'),
       ('logs', 'b.json.gz', 'e2', 1, 1, 1, 0, TIMESTAMP '2026-01-01 12:00'),
       ('logs', 'd.json.gz', 'e1', 1, 1, 0, 1, TIMESTAMP '2026-01-01 13:00'),
       ('logs', 'd.json.gz', 'e2', 1, 2, 1, 1, TIMESTAMP '2026-01-01 14:00')`
  );
  expect(rows).toEqual([
    { event_id: 'first', arrived_at: '10:00' },
    { event_id: 'kept', arrived_at: '11:00' },
    { event_id: 'later', arrived_at: '14:00' },
    { event_id: 'rewritten', arrived_at: '12:00' },
    // Its file is not in the ledger: its arrival is unknown, and arrival-time queries leave it out.
    { event_id: 'unlisted', arrived_at: null },
  ]);
});

test('a version 7 database knows which service made the calls of its AWSService identities; other calls count as their identity\'s', async () => {
  const rows = await afterMigration<{ event_id: string; invoked_by: string | null }>(
    7,
    [
      consoleLogin('service', 'cloudformation.amazonaws.com', 'AWSService', 'NULL AS mfa_used, [] AS resources'),
      consoleLogin('user', 'alice', 'IAMUser', 'NULL AS mfa_used, [] AS resources'),
    ].join(' UNION ALL '),
    'SELECT event_id, invoked_by FROM events ORDER BY event_id',
    // Version 7 had no invoked_by.
    'ALTER TABLE events DROP COLUMN invoked_by'
  );
  expect(rows).toEqual([
    { event_id: 'service', invoked_by: 'cloudformation.amazonaws.com' },
    { event_id: 'user', invoked_by: null },
  ]);
});

test("a version 9 database keeps its role sessions' roles apart, and gives an Identity Center role's sessions to their person", async () => {
  // As version 9 stored them: an AssumedRole's user was its role, the session name beside it, no role_name column.
  const session = (id: string, user: string, identityType: string, sessionName: string | null, arn: string | null) =>
    consoleLogin(id, user, identityType, `${sessionName === null ? 'NULL' : `'${sessionName}'`} AS session_name,
      ${arn === null ? 'NULL' : `'${arn}'`} AS principal_arn, NULL AS mfa_used, [] AS resources`);
  const sso = 'AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b';
  const rows = await afterMigration<{ event_id: string; user_name: string; role_name: string | null; session_name: string | null }>(
    9,
    [
      session('dave', sso, 'AssumedRole', 'dave@example.com', `arn:aws:sts::111122223333:assumed-role/${sso}/dave@example.com`),
      session('grace', sso, 'AssumedRole', 'grace@example.com', `arn:aws:sts::111122223333:assumed-role/${sso}/grace@example.com`),
      // Its ARN lacked the session (Stratus anonymised one so): version 9 kept no session name, so the role stays.
      session('nameless', sso, 'AssumedRole', null, `arn:aws:sts::111122223333:assumed-role/${sso}`),
      session('deployer', 'Deployer', 'AssumedRole', 'ci-run-42', 'arn:aws:sts::111122223333:assumed-role/Deployer/ci-run-42'),
      // No issuer and an ARN without assumed-role/: its user was the ARN itself, no role's name.
      session('odd', 'arn:aws:sts::111122223333:something', 'AssumedRole', null, 'arn:aws:sts::111122223333:something'),
      // Neither issuer nor ARN: its user was the principal id (role id and session), no role's name.
      session('unnamed', 'AROAEXAMPLEROLEID:ci-run-43', 'AssumedRole', null, null),
      session('alice', 'alice', 'IAMUser', null, 'arn:aws:iam::111122223333:user/alice'),
    ].join(' UNION ALL '),
    'SELECT event_id, user_name, role_name, session_name FROM events ORDER BY event_id',
    // Version 9 had no role_name.
    'ALTER TABLE events DROP COLUMN role_name'
  );
  expect(rows).toEqual([
    { event_id: 'alice', user_name: 'alice', role_name: null, session_name: null },
    { event_id: 'dave', user_name: 'dave@example.com', role_name: sso, session_name: 'dave@example.com' },
    { event_id: 'deployer', user_name: 'Deployer', role_name: 'Deployer', session_name: 'ci-run-42' },
    { event_id: 'grace', user_name: 'grace@example.com', role_name: sso, session_name: 'grace@example.com' },
    { event_id: 'nameless', user_name: sso, role_name: sso, session_name: null },
    { event_id: 'odd', user_name: 'arn:aws:sts::111122223333:something', role_name: null, session_name: null },
    { event_id: 'unnamed', user_name: 'AROAEXAMPLEROLEID:ci-run-43', role_name: null, session_name: null },
  ]);
});

test("a version 10 database gives its stored errors their kinds, from the words version 10 wrote", async () => {
  const errors: Array<[string, string]> = [
    ['download failed: Access to s3://b was denied: the credentials need s3:ListBucket (AWS says: User: arn:… is not authorized).', 'access-denied'],
    ['download failed: cannot reach the S3 endpoint http://10.0.0.5:9000 (ECONNREFUSED, connect ECONNREFUSED): check --s3-endpoint', 'unreachable'],
    ['download failed: the download stalled: no data from S3 for 60 s', 'unreachable'],
    ['download failed: socket hang up', 'other'],
    ['Input is not a GZIP stream: 1.json.gz', 'bad-gzip'],
    ['Malformed JSON in file "a.json.gz", at byte 28 in record/value 2: unexpected end of data.', 'bad-json'],
    ['no "Records" array: not a CloudTrail log file', 'no-records'],
    ['it unpacks to more than 4096 MB: not a CloudTrail log file (they unpack to about 10× their size), or a gzip bomb.', 'too-big'],
    ["out of memory: DuckDB's memory limit (224MB) does not hold this file", 'out-of-memory'],
    ['Binder Error: something DuckDB said', 'unreadable'],
  ];
  const runs: Array<[string, string]> = [
    ['S3 refused the credentials (ExpiredToken): the session has expired; renew it.', 'credentials'],
    ['The bucket b does not exist (or not in this account/endpoint). Check --source.', 'no-bucket'],
    ['no CloudTrail logs under s3://b/AWSLogs/: check --source', 'no-logs'],
    ['./logs is not a folder. Give --source an existing folder or an s3://bucket[/prefix] URL.', 'no-folder'],
    ['IO Error: Could not write file "x.duckdb.wal": No space left on device', 'other'],
  ];
  const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
  const then = [
    'ALTER TABLE ingest_errors DROP COLUMN kind',
    // Version 15's columns, which version 10 had not either.
    ...['attempts', 'retry_at', 'memory_limit'].map((column) => `ALTER TABLE ingest_errors DROP COLUMN ${column}`),
    'ALTER TABLE ingest_runs DROP COLUMN error_kind',
    ...errors.map(
      ([reason], i) => `INSERT INTO ingest_errors (source, key, etag, reason, failed_at) VALUES ('s', 'k${i}', 'e', ${quote(reason)}, TIMESTAMP '2026-11-20')`
    ),
    ...runs.map(([error], i) => `INSERT INTO ingest_runs (source, started_at, finished_at, error)
       VALUES ('s${i}', TIMESTAMP '2026-11-20', TIMESTAMP '2026-11-20', ${quote(error)})`),
  ].join('; ');
  const rows = await afterMigration<{ what: string; kind: string }>(
    10,
    consoleLogin('one', 'alice', 'IAMUser', 'NULL AS mfa_used, [] AS resources'),
    `SELECT reason AS what, kind FROM ingest_errors UNION ALL SELECT error, error_kind FROM ingest_runs`,
    then
  );
  expect(new Map(rows.map((r) => [r.what, r.kind]))).toEqual(new Map([...errors, ...runs]));
});

test('a database written before version 14 marks its stored sign-in steps that failed (CheckMfa, Identity Center credentials), ' +
  'read from their log files', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'v13.duckdb');
  const step = (id: string, eventName: string, outcome: string, where = 'serviceEventDetails') => ({
    eventID: id, eventTime: '2026-11-20T10:00:00Z', eventSource: 'signin.amazonaws.com', eventName, eventType: 'AwsServiceEvent',
    recipientAccountId: '111122223333',
    userIdentity: { type: 'Unknown', principalId: '111122223333', accountId: '111122223333', userName: 'user1' }, [where]: { [eventName]: outcome },
  });
  try {
    let db = await Database.open(file);
    try {
      const logs = writeFiles(path.join(dir, 'logs'), {
        'signin.json.gz': logFile([
          step('wrong-password', 'CredentialVerification', 'Failure'),
          step('right-password', 'CredentialVerification', 'Success'),
          step('mfa-check-failed', 'CheckMfa', 'Failure', 'responseElements'),
          step('signed-in', 'UserAuthentication', 'Success'),
        ]),
        // More files than one read holds (64): each read in a batch of its own file's steps, none left out.
        ...Object.fromEntries(
          Array.from({ length: 70 }, (_, i) => [
            `more-${i}.json.gz`,
            logFile([step(`f-${i}`, 'CredentialVerification', 'Failure'), step(`s-${i}`, 'CredentialChallenge', 'Success')]),
          ])
        ),
      });
      expect(await ingest({ source: logs, db, days: 3650 })).toMatchObject({ events: 144, errors: 0 });
      // As an older Trailhound left them: every step a success.
      await db.run(`UPDATE events SET is_error = false, is_unauthorized = false`);
      await db.run(`UPDATE meta SET value = '13' WHERE key = 'schema_version'`);
    } finally {
      db.close();
    }
    // A copy whose kept log files are gone: it opens all the same, its events as they were.
    const lost = path.join(dir, 'lost.duckdb');
    fs.copyFileSync(file, lost);
    db = await Database.open(file);
    try {
      const more = `SELECT left(event_id, 2) AS steps, count(*) FILTER (is_error AND is_unauthorized)::INTEGER AS failed FROM events
        WHERE left(event_id, 2) IN ('f-', 's-') GROUP BY ALL ORDER BY ALL`;
      expect(await db.all(more)).toEqual([{ steps: 'f-', failed: 70 }, { steps: 's-', failed: 0 }]);
      expect(await db.all(`SELECT event_id, is_error, is_unauthorized FROM events WHERE left(event_id, 2) NOT IN ('f-', 's-') ORDER BY event_id`)).toEqual([
        { event_id: 'mfa-check-failed', is_error: true, is_unauthorized: true },
        { event_id: 'right-password', is_error: false, is_unauthorized: false },
        { event_id: 'signed-in', is_error: false, is_unauthorized: false },
        { event_id: 'wrong-password', is_error: true, is_unauthorized: true },
      ]);
    } finally {
      db.close();
    }
    db = await Database.open(lost);
    try {
      expect(await db.one('SELECT value FROM meta WHERE key = $k', { k: 'schema_version' })).toEqual({ value: String(SCHEMA_VERSION) });
      expect(await db.all('SELECT count(*)::INTEGER AS n FROM events WHERE is_error')).toEqual([{ n: 0 }]);
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** A failed IAM Identity Center password (managementEvent said, for the category), as CloudTrail writes it. */
const failedSignIn = (id: string) => ({
  eventID: id, eventTime: '2026-11-20T10:00:00Z', eventSource: 'signin.amazonaws.com', eventName: 'CredentialVerification', eventType: 'AwsServiceEvent',
  managementEvent: true, recipientAccountId: '111122223333',
  userIdentity: { type: 'Unknown', principalId: '111122223333', accountId: '111122223333', userName: 'user1' },
  serviceEventDetails: { CredentialVerification: 'Failure' },
});

/** Two failed sign-ins in each of `names`' log files, ingested a run each (an archive each); the first one's kept archive file. */
async function failedSignInArchives(dir: string, db: Database, names: string[]): Promise<string> {
  for (const name of names) {
    const logs = writeFiles(path.join(dir, name), { [`${name}.json.gz`]: logFile([failedSignIn(`${name}-1`), failedSignIn(`${name}-2`)]) });
    expect(await ingest({ source: logs, db, days: 3650 })).toMatchObject({ events: 2, errors: 0 });
  }
  const { archive } = (await db.one<{ archive: string }>(`SELECT archive FROM log_objects WHERE key = $key`, { key: `${names[0]}.json.gz` }))!;
  return path.join(db.originalsDir, archive);
}

test('a database written before version 14 whose kept files are partly gone marks the failed sign-ins of those still kept', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'v13.duckdb');
  try {
    let db = await Database.open(file);
    try {
      // Two runs, two kept archives; the first one's is lost.
      fs.rmSync(await failedSignInArchives(dir, db, ['lost', 'kept']));
      await db.run(`UPDATE events SET is_error = false, is_unauthorized = false`);
      await db.run(`UPDATE meta SET value = '13' WHERE key = 'schema_version'`);
    } finally {
      db.close();
    }
    db = await Database.open(file);
    try {
      // The lost file's events were read in one batch with the kept one's, whose read it failed: none were marked.
      expect(await db.all('SELECT event_id, is_error FROM events ORDER BY event_id')).toEqual([
        { event_id: 'kept-1', is_error: true }, { event_id: 'kept-2', is_error: true },
        { event_id: 'lost-1', is_error: false }, { event_id: 'lost-2', is_error: false },
      ]);
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a database written before version 13 whose kept file is broken on disk opens: that file\'s events stay as they were, the others are read', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'v12.duckdb');
  try {
    let db = await Database.open(file);
    try {
      // A Parquet file cut short (a disk full when it was copied back, say).
      fs.truncateSync(await failedSignInArchives(dir, db, ['broken', 'whole']), 100);
      await db.run(`UPDATE events SET is_error = false, is_unauthorized = false`);
      await db.run(`ALTER TABLE events DROP COLUMN event_category; UPDATE meta SET value = '12' WHERE key = 'schema_version'`);
    } finally {
      db.close();
    }
    // Read in the migration's transaction, the broken file's "No magic bytes found" aborted it: the database did not open.
    db = await Database.open(file);
    try {
      expect(await db.all('SELECT event_id, event_category, is_error FROM events ORDER BY event_id')).toEqual([
        { event_id: 'broken-1', event_category: null, is_error: false }, { event_id: 'broken-2', event_category: null, is_error: false },
        { event_id: 'whole-1', event_category: 'Management', is_error: true }, { event_id: 'whole-2', event_category: 'Management', is_error: true },
      ]);
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a database written before version 13 with one kept file broken inside a sound archive reads the files after it', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'v12.duckdb');
  try {
    let db = await Database.open(file);
    try {
      // Three files in one run, so one archive; the first in it is broken (its gzip is not gzip), the others are sound.
      const records = (name: string) =>
        [1, 2].map((i) => ({
          eventID: `${name}-${i}`, eventTime: '2026-11-20T10:00:00Z', eventSource: 's3.amazonaws.com', eventName: 'GetObject', managementEvent: false,
        }));
      const logs = writeFiles(path.join(dir, 'logs'), Object.fromEntries(['a-broken', 'b-sound', 'c-sound'].map((n) => [`${n}.json.gz`, logFile(records(n))])));
      expect(await ingest({ source: logs, db, days: 3650 })).toMatchObject({ events: 6, errors: 0 });
      const { archive } = (await db.one<{ archive: string }>(`SELECT DISTINCT archive FROM log_objects`))!;
      const kept = path.join(db.originalsDir, archive);
      const rewritten = `${kept}.new`;
      await db.run(
        `COPY (SELECT * REPLACE (CASE WHEN key = 'a-broken.json.gz' THEN unhex('1f8b6e6f7420677a6970') ELSE content END AS content)
           FROM read_parquet($kept) ORDER BY key) TO '${rewritten}' (FORMAT parquet)`,
        { kept }
      );
      fs.renameSync(rewritten, kept);
      await db.run(`ALTER TABLE events DROP COLUMN event_category; UPDATE meta SET value = '12' WHERE key = 'schema_version'`);
    } finally {
      db.close();
    }
    db = await Database.open(file);
    try {
      expect(await db.all('SELECT event_id, event_category FROM events ORDER BY event_id')).toEqual([
        { event_id: 'a-broken-1', event_category: null }, { event_id: 'a-broken-2', event_category: null },
        { event_id: 'b-sound-1', event_category: 'Data' }, { event_id: 'b-sound-2', event_category: 'Data' },
        { event_id: 'c-sound-1', event_category: 'Data' }, { event_id: 'c-sound-2', event_category: 'Data' },
      ]);
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a version 11 database gives its Identity Center roles' events their permission set, and no other event one", async () => {
  // As version 11 stored them: the role and, for an Identity Center role, its person as the user; no permission_set column.
  const session = (id: string, user: string, role: string | null, sessionName: string | null) =>
    consoleLogin(id, user, role === null ? 'IAMUser' : 'AssumedRole', `${role === null ? 'NULL' : `'${role}'`} AS role_name,
      ${sessionName === null ? 'NULL' : `'${sessionName}'`} AS session_name, NULL AS mfa_used, [] AS resources`);
  const admin = (suffix: string) => `AWSReservedSSO_AdministratorAccess_${suffix}`;
  const rows = await afterMigration<{ event_id: string; permission_set: string | null }>(
    11,
    [
      // The same permission set in two accounts: two roles, one name.
      session('dave', 'dave@example.com', admin('0a1b2c3d4e5f6a7b'), 'dave@example.com'),
      session('grace', 'grace@example.com', admin('8c9d0e1f2a3b4c5d'), 'grace@example.com'),
      // A permission set's name may hold underscores; the 16 hex digits are Identity Center's.
      session('underscored', 'eve@example.com', 'AWSReservedSSO_Billing_Read_599c9e90e350d2ff', 'eve@example.com'),
      // Its session name was unknown, so its user stayed the role: known by its name.
      session('nameless', admin('0a1b2c3d4e5f6a7b'), admin('0a1b2c3d4e5f6a7b'), null),
      // A role of that name outside Identity Center's path: ingestion kept the role as its user, beside a session.
      session('lookalike', 'AWSReservedSSO_Fake_0a1b2c3d4e5f6a7b', 'AWSReservedSSO_Fake_0a1b2c3d4e5f6a7b', 'ci'),
      session('deployer', 'Deployer', 'Deployer', 'ci-run-42'),
      session('alice', 'alice', null, null),
    ].join(' UNION ALL '),
    'SELECT event_id, permission_set FROM events ORDER BY event_id',
    // Version 11 had no permission_set.
    'ALTER TABLE events DROP COLUMN permission_set'
  );
  expect(rows).toEqual([
    { event_id: 'alice', permission_set: null },
    { event_id: 'dave', permission_set: 'AdministratorAccess' },
    { event_id: 'deployer', permission_set: null },
    { event_id: 'grace', permission_set: 'AdministratorAccess' },
    { event_id: 'lookalike', permission_set: null },
    { event_id: 'nameless', permission_set: 'AdministratorAccess' },
    { event_id: 'underscored', permission_set: 'Billing_Read' },
  ]);
});

test("a version 12 database reads its events' categories back from the kept log files, a big one too; a file gone leaves \"(unknown)\"", async () => {
  const dir = tempDir();
  const file = path.join(dir, 'v12.duckdb');
  try {
    const generated = { events: 2_000, days: 2, end: new Date('2026-11-20T18:00:00Z'), seed: 5, eventsPerFile: 10 };
    await writeLogFolder(path.join(dir, 'generated'), generated);
    writeStratusFolder(path.join(dir, 'stratus'));
    // Over 8 MB unpacked: kept as a file of its own and read back as a stream. Data events, one without an eventID.
    const padding = 'x'.repeat(1_000);
    const big = Array.from({ length: 9_000 }, (_, i) => ({
      ...(i === 0 ? {} : { eventID: `big-${i}` }), eventTime: '2026-11-19T10:00:00Z', eventSource: 's3.amazonaws.com', eventName: 'GetObject',
      managementEvent: false, requestParameters: { bucketName: 'b', key: `${i}-${padding}` },
    }));
    writeFiles(path.join(dir, 'big'), { 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/19/big.json.gz': logFile(big) });
    let db = await Database.open(file);
    for (const source of ['generated', 'stratus', 'big']) await ingest({ source: path.join(dir, source), db, days: 3650, now: generated.end });
    const categories = `SELECT event_category AS category, count(*)::INTEGER AS n FROM events GROUP BY ALL ORDER BY ALL`;
    const stored = await db.all(categories);
    expect(stored).toEqual([
      { category: 'Data', n: generatedRecords(generated).filter((r) => r.eventCategory === 'Data').length + 9_000 },
      { category: 'Management', n: generatedRecords(generated).filter((r) => r.eventCategory === 'Management').length + stratusRecords().length },
    ]);
    const stratusArchive = (await db.one<{ archive: string }>(`SELECT DISTINCT archive FROM log_objects WHERE source LIKE '%stratus%'`))!.archive;
    // As version 12 left it.
    await db.run(`ALTER TABLE events DROP COLUMN event_category; UPDATE meta SET value = '12' WHERE key = 'schema_version'`);
    const originals = db.originalsDir;
    db.close();
    db = await Database.open(file);
    expect(await db.all(categories)).toEqual(stored);
    db.close();

    // Once more, without the Stratus records' kept file: those events stay without a category, "(unknown)" to reports.
    db = await Database.open(file);
    await db.run(`ALTER TABLE events DROP COLUMN event_category; UPDATE meta SET value = '12' WHERE key = 'schema_version'`);
    db.close();
    fs.rmSync(path.join(originals, stratusArchive));
    db = await Database.open(file);
    try {
      const range = { from: Date.parse('2020-01-01'), to: Date.parse('2026-11-21') };
      expect(await new Reports(db).values('eventCategory', range, 'unknown', 10)).toEqual([{ value: '(unknown)', count: stratusRecords().length }]);
      const [frame] = await new Reports(db).frames(resolveQuery({ format: 'table', groupBy: 'none', filters: { eventCategory: ['(unknown)'] } }), range);
      expect(frame.fields[1].values).toEqual([stratusRecords().length]);
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('a version 12 database whose kept big file holds more records than a call has arguments (150 000) reads all their categories', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'v12.duckdb');
  try {
    // Gathered with push(...fields), a file's records overflowed the stack (RangeError), and the database did not open.
    const records = Array.from({ length: 150_000 }, (_, i) => ({
      eventID: `d-${i}`, eventTime: '2026-11-19T10:00:00Z', eventSource: 's3.amazonaws.com', eventName: 'GetObject', managementEvent: false,
    }));
    writeFiles(path.join(dir, 'big'), { 'AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/19/big.json.gz': logFile(records) });
    const told: Array<[string, number]> = [];
    const onLongMigration = (message: string, migration: LongMigration) => told.push([message, migration.events]);
    let db = await Database.open(file, { onLongMigration });
    await ingest({ source: path.join(dir, 'big'), db, days: 3650, now: new Date('2026-11-20T00:00:00Z') });
    await db.run(`ALTER TABLE events DROP COLUMN event_category; UPDATE meta SET value = '12' WHERE key = 'schema_version'`);
    db.close();
    db = await Database.open(file, { onLongMigration });
    try {
      expect(await db.all(`SELECT event_category AS category, count(*)::INTEGER AS n FROM events GROUP BY ALL`)).toEqual([{ category: 'Data', n: 150_000 }]);
      // Said before it ran, with how long it takes; a new database (the first open) says nothing.
      expect(told).toEqual([[expect.stringMatching(/^updating the database from schema version 12 to \d+: .* its 150000 events .*about 2 s /), 150_000]]);
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

test('a version 15 database counts as data events the S3 object calls and Lambda Invokes it counted as management events; nothing else changes', async () => {
  // As versions 13 to 15 stored them: a record that said no category was a management event.
  const call = (id: string, source: string, name: string, category: string | null) =>
    `SELECT '${id}' AS event_id, TIMESTAMP '2017-06-14 08:41:03' AS event_time, '${name}' AS event_name, '${source}' AS event_source,
       '${source.split('.')[0]}' AS service, 'eu-west-1' AS region, '111122223333' AS account, 'alice' AS user_name, 'IAMUser' AS identity_type,
       '' AS source_ip, false AS source_is_ip, false AS read_only, false AS is_error, false AS is_unauthorized, 'k' AS object_key, [] AS resources,
       ${category === null ? 'NULL' : `'${category}'`} AS event_category`;
  const rows = await afterMigration<{ event_id: string; event_category: string | null }>(
    15,
    [
      call('get', 's3.amazonaws.com', 'GetObject', 'Management'),
      call('list-objects', 's3.amazonaws.com', 'ListObjectsV2', 'Management'),
      call('invoke', 'lambda.amazonaws.com', 'Invoke', 'Management'),
      call('list-buckets', 's3.amazonaws.com', 'ListBuckets', 'Management'),
      call('put-bucket-acl', 's3.amazonaws.com', 'PutBucketAcl', 'Management'),
      call('lambda-management', 'lambda.amazonaws.com', 'GetFunction20150331', 'Management'),
      call('ec2', 'ec2.amazonaws.com', 'DescribeInstances', 'Management'),
      call('already-data', 's3.amazonaws.com', 'PutObject', 'Data'),
      // Its kept file was gone at version 13: not known, and still not.
      call('unknown', 's3.amazonaws.com', 'GetObject', null),
    ].join(' UNION ALL '),
    'SELECT event_id, event_category FROM events ORDER BY event_id'
  );
  expect(rows).toEqual([
    { event_id: 'already-data', event_category: 'Data' },
    { event_id: 'ec2', event_category: 'Management' },
    { event_id: 'get', event_category: 'Data' },
    { event_id: 'invoke', event_category: 'Data' },
    { event_id: 'lambda-management', event_category: 'Management' },
    { event_id: 'list-buckets', event_category: 'Management' },
    { event_id: 'list-objects', event_category: 'Data' },
    { event_id: 'put-bucket-acl', event_category: 'Management' },
    { event_id: 'unknown', event_category: null },
  ]);
});

test('a version 16 database keeps its ledger, and learns which files a prune takes events from from then on', async () => {
  const rows = await afterMigration<{ key: string; events_pruned_before: string | null }>(
    16,
    consoleLogin('e', 'alice', 'IAMUser', '[] AS resources'),
    'SELECT key, events_pruned_before FROM ingested_objects',
    `ALTER TABLE ingested_objects DROP COLUMN events_pruned_before;
     INSERT INTO ingested_objects VALUES ('s', 'k', 'etag', 1, 1, 1, 0, TIMESTAMP '2026-01-01')`
  );
  expect(rows).toEqual([{ key: 'k', events_pruned_before: null }]);
});

test('records of eventVersion 1.05 get the category of today from their kept files (before version 13) or their names (versions 13 to 15)', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'old.duckdb');
  const call = (id: string, eventName: string, over: Record<string, unknown> = {}) => ({
    eventVersion: '1.05', eventID: id, eventTime: '2017-06-14T08:41:03Z', eventSource: 's3.amazonaws.com', eventName, eventType: 'AwsApiCall',
    recipientAccountId: '111122223333', userIdentity: { type: 'IAMUser', userName: 'alice', accountId: '111122223333' },
    requestParameters: { bucketName: 'acme-exports', key: 'q2/orders.csv' }, ...over,
  });
  const categories = `SELECT event_id, event_category FROM events ORDER BY event_id`;
  try {
    let db = await Database.open(file);
    const logs = writeFiles(path.join(dir, 'logs'), {
      'old.json.gz': logFile([
        call('get', 'GetObject'),
        call('list-buckets', 'ListBuckets', { requestParameters: { host: ['s3.amazonaws.com'] } }),
        // Not known to happen: an object call its record calls a management event.
        call('said-management', 'GetObject', { eventVersion: '1.06', managementEvent: true }),
      ]),
    });
    expect(await ingest({ source: logs, db, days: 36500 })).toMatchObject({ events: 3, errors: 0 });
    const today = [
      { event_id: 'get', event_category: 'Data' },
      { event_id: 'list-buckets', event_category: 'Management' },
      { event_id: 'said-management', event_category: 'Management' },
    ];
    expect(await db.all(categories)).toEqual(today);
    // As version 12 left it: read back from the kept file, by the rule of today, record by record.
    await db.run(`ALTER TABLE events DROP COLUMN event_category; UPDATE meta SET value = '12' WHERE key = 'schema_version'`);
    db.close();
    db = await Database.open(file);
    expect(await db.all(categories)).toEqual(today);
    // As version 15 left it (a record that said none a management event): the names decide, and the record that called
    // an object call a management event, which the stored columns do not tell apart, becomes a data event too.
    await db.run(`UPDATE events SET event_category = 'Management'; UPDATE meta SET value = '15' WHERE key = 'schema_version'`);
    db.close();
    db = await Database.open(file);
    try {
      expect(await db.all(categories)).toEqual([
        { event_id: 'get', event_category: 'Data' },
        { event_id: 'list-buckets', event_category: 'Management' },
        { event_id: 'said-management', event_category: 'Data' },
      ]);
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an older database tells how far its migration is; stopped part way, it stays as it was, and the next open migrates it', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'v12.duckdb');
  try {
    await writeLogFolder(path.join(dir, 'logs'), { events: 3_000, days: 3, end: new Date('2026-11-20T18:00:00Z'), seed: 9, eventsPerFile: 10 });
    let db = await Database.open(file);
    // A batch (a kept archive) a day: the pass over them has steps to tell.
    for (const day of ['2026-11-18', '2026-11-19', '2026-11-20']) {
      await ingest({ source: path.join(dir, 'logs'), db, days: 1, now: new Date(`${day}T23:59:00Z`) });
    }
    const archives = Number((await db.one<{ n: bigint }>(`SELECT count(DISTINCT archive) AS n FROM log_objects`))!.n);
    expect(archives).toBeGreaterThan(1);
    const asOlder = `ALTER TABLE events DROP COLUMN event_category; UPDATE meta SET value = '12' WHERE key = 'schema_version'`;
    await db.run(asOlder);
    db.close();

    // Stopped as it starts reading the kept files: the open fails with the stop's reason, and nothing of it is kept.
    const stop = new AbortController();
    const reason = new Error('stopped by the test');
    const stopped = Database.open(file, { signal: stop.signal, onMigrationProgress: () => stop.abort(reason) });
    await expect(stopped).rejects.toBe(reason);
    db = await Database.open(file, { readOnly: true });
    expect(await db.one(`SELECT value FROM meta WHERE key = 'schema_version'`)).toEqual({ value: '12' });
    // Not even the column its first statement added.
    expect(await db.hasColumn('events', 'event_category')).toBe(false);
    db.close();

    const told: Array<[string, number, number]> = [];
    db = await Database.open(file, { onMigrationProgress: (step, done, total) => told.push([step, done, total]) });
    try {
      expect(await db.one(`SELECT value FROM meta WHERE key = 'schema_version'`)).toEqual({ value: String(SCHEMA_VERSION) });
      expect(await db.one(`SELECT count(*)::INTEGER AS n FROM events WHERE event_category IS NULL`)).toEqual({ n: 0 });
      // Each kept archive in turn, then the sign-in steps (none among these events).
      const categories = told.filter(([step]) => step === MIGRATION_STEPS.categories).map(([, done, total]) => [done, total]);
      expect(categories).toEqual(Array.from({ length: archives + 1 }, (_, i) => [i, archives]));
      expect(told.filter(([step]) => step === MIGRATION_STEPS.signIns)).toEqual([[MIGRATION_STEPS.signIns, 0, 0]]);
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('a database a newer version wrote (an image rolled back) is refused, read-only too, and keeps its version', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'newer.duckdb');
  try {
    const db = await Database.open(file);
    await db.run(`UPDATE meta SET value = $v WHERE key = 'schema_version'`, { v: String(SCHEMA_VERSION + 1) });
    db.close();
    const refusal = new RegExp(
      `^the database .*newer\\.duckdb was written by a newer Trailhound ` +
        `\\(schema version ${SCHEMA_VERSION + 1}; this one knows versions up to ${SCHEMA_VERSION}\\): ` +
        'run that version \\(or a later one\\) on it, or give this one a database of its own \\(--db, or TRAILHOUND_DB\\)$'
    );
    await expect(Database.open(file)).rejects.toThrow(refusal);
    await expect(Database.open(file, { readOnly: true })).rejects.toThrow(refusal);
    // Not stamped with this version's number, nor held: the newer version opens it as it left it.
    const newer = await DuckDBInstance.create(file);
    const conn = await newer.connect();
    try {
      const rows = (await conn.runAndReadAll(`SELECT value FROM meta WHERE key = 'schema_version'`)).getRowObjectsJS();
      expect(rows).toEqual([{ value: String(SCHEMA_VERSION + 1) }]);
    } finally {
      conn.closeSync();
      newer.closeSync();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a database older than stopped runs (version 5), read as it is (trailhound report), tells when its last run ended', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'v5.duckdb');
  try {
    // No column of a later version on ingest_runs (stopped came with 6) nor on ingest_errors.
    const v5 = SCHEMA_SQL.split('\n').filter((line) => !/ALTER TABLE ingest_(runs|errors) ADD COLUMN/.test(line)).join('\n');
    const run = `INSERT INTO ingest_runs (source, started_at, finished_at) VALUES ('logs', TIMESTAMP '2026-01-01 10:00:00', TIMESTAMP '2026-01-01 10:05:00')`;
    await writeOldDatabase(file, 5, v5, refused('old-1', 'AccessDenied', 'not authorized'), run);
    const db = await Database.open(file, { readOnly: true });
    try {
      expect(await db.hasColumn('ingest_runs', 'stopped')).toBe(false);
      expect(await new Reports(db).ingestStatus()).toMatchObject({ events: 1, lastPoll: '2026-01-01T10:05:00.000Z' });
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a version 20 database reads its blank values (whitespace only) as absent, as ingestion stores them now: each group can be drilled into', async () => {
  /** An event as version 20 stored it, with `over` (column → SQL expression) in place of the defaults. */
  const stored = (id: string, over: Record<string, string> = {}) => {
    const columns: Record<string, string> = {
      event_id: `'${id}'`, event_time: "TIMESTAMP '2026-01-01 10:00:00'", event_name: "'RunInstances'", event_source: "'ec2.amazonaws.com'",
      service: "'ec2'", region: "'us-east-1'", account: "'111122223333'", user_name: "'erin'", identity_type: "'IAMUser'", invoked_by: 'NULL',
      principal_arn: "'arn:aws:iam::111122223333:user/erin'", source_ip: "'203.0.113.7'", source_is_ip: 'true', read_only: 'false',
      error_code: 'NULL', is_error: 'false', is_unauthorized: 'false', event_category: "'Management'", object_key: "'k'",
      resources: '[]',
      ...over,
    };
    return `SELECT ${Object.entries(columns).map(([c, v]) => `${v} AS ${c}`).join(', ')}`;
  };
  const events = [
    stored('ok', { resources: "[{'id': 'i-0abc', 'name': 'i-0abc'}]" }),
    stored('region', { region: "'  '" }),
    stored('source', { event_source: "' '", service: "' '" }),
    // Ingestion up to version 21 took the service of this source to be blank.
    stored('service', { event_source: "'  .amazonaws.com'", service: "'  '" }),
    stored('name', { event_name: "'\u00a0'" }),
    stored('ip', { source_ip: "'   '", source_is_ip: 'false' }),
    stored('no-ip', { source_ip: "''", source_is_ip: 'false' }),
    stored('code', { error_code: "'\t'", is_error: 'true' }),
    stored('type', { identity_type: "' '" }),
    stored('arn', { principal_arn: "' '", invoked_by: "'\u3000'" }),
    stored('category', { event_category: "' '" }),
    stored('resource', { resources: "[{'id': ' ', 'name': ' '}, {'id': 'i-0abc', 'name': 'i-0abc'}]" }),
  ].join(' UNION ALL ');
  // Its resource index as version 20 wrote it: a row per id (each is its own name here).
  const index = `INSERT INTO event_resources SELECT hash(k), TIMESTAMP '2026-01-01 10:00:00', e
    FROM (VALUES ('resource', ' '), ('resource', 'i-0abc'), ('ok', 'i-0abc')) t(e, k)`;
  const range = { from: Date.parse('2026-01-01'), to: Date.parse('2026-01-02') };
  const table = async (reports: Reports, query: Omit<TrailhoundQuery, 'format'>) => {
    const [frame] = await reports.frames(resolveQuery({ format: 'table', ...query }), range);
    const [groups, counts] = frame.fields;
    return Object.fromEntries(groups.values.map((g, i) => [String(g), Number(counts.values[i])]));
  };
  const dir = tempDir();
  const file = path.join(dir, 'v20.duckdb');
  try {
    await writeOldDatabase(file, 20, SCHEMA_SQL, events, index);
    const check = async () => {
      const db = await Database.open(file);
      try {
        const reports = new Reports(db);
        const blank = /^\s*$/;
        for (const groupBy of ['region', 'service', 'eventName', 'sourceIp', 'errorCode', 'identityType', 'eventCategory'] as const) {
          const groups = await table(reports, { groupBy });
          expect([groupBy, Object.keys(groups).filter((g) => blank.test(g))]).toEqual([groupBy, []]);
          for (const [value, count] of Object.entries(groups)) {
            expect([groupBy, value, await table(reports, { groupBy, filters: { [groupBy]: [value] } })]).toEqual([groupBy, value, { [value]: count }]);
          }
        }
        expect(await table(reports, { groupBy: 'region' })).toEqual({ 'us-east-1': 11, unknown: 1 });
        expect(await table(reports, { groupBy: 'service', filters: { service: ['unknown'] } })).toEqual({ unknown: 2 });
        expect(await table(reports, { groupBy: 'eventName', filters: { eventName: ['unknown'] } })).toEqual({ unknown: 1 });
        expect(await table(reports, { groupBy: 'sourceIp', filters: { sourceIp: ['(none)'] } })).toEqual({ '(none)': 2 });
        // A blank code still says the call failed: an error without a code.
        expect(await table(reports, { groupBy: 'errorCode' })).toEqual({ '(none)': 11, '(error without code)': 1 });
        expect(await table(reports, { groupBy: 'identityType', filters: { identityType: ['Unknown'] } })).toEqual({ Unknown: 1 });
        // The category cannot be read again from what is stored (managementEvent is not): not known, as a gone file's.
        expect(await table(reports, { groupBy: 'eventCategory', filters: { eventCategory: ['(unknown)'] } })).toEqual({ '(unknown)': 1 });
        expect(await table(reports, { groupBy: 'resource' })).toEqual({ 'i-0abc': 2 });
        expect(Object.values(await table(reports, { groupBy: 'none', resourceId: 'i-0abc' }))).toEqual([2]);
        const corrected = `SELECT event_id, principal_arn, invoked_by, event_source, service FROM events
          WHERE event_id IN ('arn', 'source', 'service', 'ok') ORDER BY event_id`;
        expect(await db.all(corrected)).toEqual([
          { event_id: 'arn', principal_arn: null, invoked_by: null, event_source: 'ec2.amazonaws.com', service: 'ec2' },
          { event_id: 'ok', principal_arn: 'arn:aws:iam::111122223333:user/erin', invoked_by: null, event_source: 'ec2.amazonaws.com', service: 'ec2' },
          { event_id: 'service', principal_arn: 'arn:aws:iam::111122223333:user/erin', invoked_by: null, event_source: '  .amazonaws.com', service: 'unknown' },
          { event_id: 'source', principal_arn: 'arn:aws:iam::111122223333:user/erin', invoked_by: null, event_source: '', service: 'unknown' },
        ]);
        expect(await db.all(`SELECT event_id FROM event_resources WHERE key_hash = hash(' ')`)).toEqual([]);
        expect(await db.all(`SELECT event_id FROM event_resources WHERE key_hash = hash('i-0abc') ORDER BY event_id`)).toEqual([
          { event_id: 'ok' },
          { event_id: 'resource' },
        ]);
        expect(await db.one(`SELECT value FROM meta WHERE key = 'schema_version'`)).toEqual({ value: String(SCHEMA_VERSION) });
      } finally {
        db.close();
      }
    };
    await check();
    // Again from version 20: nothing more changes.
    const db = await Database.open(file);
    await db.run(`UPDATE meta SET value = '20' WHERE key = 'schema_version'`);
    db.close();
    await check();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a version 21 database counts as addresses what Node's net.isIP takes for one, as ingestion now does: 1::2::3 is none", async () => {
  const event = (id: string, ip: string, isIp: boolean) =>
    consoleLogin(id, id, 'IAMUser', `NULL AS error_code, NULL AS error_message, NULL AS mfa_used, [] AS resources`)
      .replace("'' AS source_ip, false AS source_is_ip", `'${ip}' AS source_ip, ${isIp} AS source_is_ip`);
  // As version 21 stored them: its pattern took any two to seven groups of none to four hex digits.
  const events = [
    event('v4', '203.0.113.7', true),
    event('two-gaps', '1::2::3', true),
    event('colons', ':::', true),
    event('three-groups', '1:2:3', true),
    event('seven-then-gap', '1:2:3:4:5:6:7::', false),
    event('service', 'ec2.amazonaws.com', false),
  ].join(' UNION ALL ');
  const dir = tempDir();
  const file = path.join(dir, 'v21.duckdb');
  try {
    await writeOldDatabase(file, 21, SCHEMA_SQL, events);
    const db = await Database.open(file);
    try {
      expect(await db.all(`SELECT event_id, source_ip, source_is_ip FROM events ORDER BY event_id`)).toEqual([
        { event_id: 'colons', source_ip: ':::', source_is_ip: false },
        { event_id: 'service', source_ip: 'ec2.amazonaws.com', source_is_ip: false },
        { event_id: 'seven-then-gap', source_ip: '1:2:3:4:5:6:7::', source_is_ip: true },
        { event_id: 'three-groups', source_ip: '1:2:3', source_is_ip: false },
        { event_id: 'two-gaps', source_ip: '1::2::3', source_is_ip: false },
        { event_id: 'v4', source_ip: '203.0.113.7', source_is_ip: true },
      ]);
      const [totals] = await new Reports(db).frames(resolveQuery({ queryType: 'totals' }), { from: Date.parse('2025-12-31'), to: Date.parse('2026-01-02') });
      expect(totals.fields.find((f) => f.name === 'ips')?.values).toEqual([2]);
      expect(await db.one(`SELECT value FROM meta WHERE key = 'schema_version'`)).toEqual({ value: String(SCHEMA_VERSION) });
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
