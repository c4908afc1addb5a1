// The real Stratus Red Team CloudTrail records: every one stored, fields derived per the design's rules.
// Expectations come from the raw records through tests/support/oracle.ts, independently of the ingestion SQL.
import fs from 'node:fs';
import path from 'node:path';
import { Database } from '../../src/service/db/database';
import { ingest } from '../../src/service/ingest';
import { oracleIsError, oracleRole, oracleUnauthorized, oracleUser } from '../support/oracle';
import { stratusRecords, writeStratusFolder } from '../support/stratus';
import { storedRecords, tempDir } from '../support/temp';

const records = stratusRecords().map((x) => x.record);
let dir: string;
let db: Database;
let rows: Map<string, Record<string, any>>;
let originals: Map<string, Record<string, unknown>>;

beforeAll(async () => {
  dir = tempDir();
  writeStratusFolder(path.join(dir, 'logs'));
  db = await Database.open(path.join(dir, 'db.duckdb'));
  const summary = await ingest({ source: path.join(dir, 'logs'), db });
  expect(summary).toMatchObject({ objects: 35, events: records.length, errors: 0, duplicates: 0 });
  const all = await db.all<Record<string, any>>(`SELECT * FROM events`);
  rows = new Map(all.map((r) => [r.event_id, r]));
  originals = await storedRecords(db);
});

afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('every record is stored once, with its full original JSON', () => {
  expect(new Set(records.map((r) => r.eventID)).size).toBe(records.length);
  expect(rows.size).toBe(records.length);
  for (const r of records) expect(originals.get(r.eventID)).toEqual(r);
});

test('user, service, region, account and source IP follow the field rules', () => {
  for (const r of records) {
    const row = rows.get(r.eventID)!;
    expect({ id: r.eventID, user: row.user_name, role: row.role_name }).toEqual({ id: r.eventID, user: oracleUser(r), role: oracleRole(r) });
    expect(row.service).toBe(r.eventSource.replace(/\.amazonaws\.com$/, ''));
    expect(row.region).toBe(r.awsRegion);
    expect(row.account).toBe(r.recipientAccountId);
    expect(row.source_ip).toBe(r.sourceIPAddress);
    expect(row.identity_type).toBe(r.userIdentity.type);
  }
});

test("an IAM Identity Center permission set's role sessions are their person's, the permission set kept as the role", () => {
  // The one such session in the dataset (ec2-serial-console-send-ssh-public-key): its ARN was anonymised without the
  // session part, so the person is the session name after the principal id's colon.
  const sso = records.filter((r) => String(r.userIdentity.sessionContext?.sessionIssuer?.arn).includes(':role/aws-reserved/sso.amazonaws.com/'));
  expect(sso.length).toBeGreaterThan(0);
  for (const r of sso) {
    const row = rows.get(r.eventID)!;
    expect(row.user_name).toBe(r.userIdentity.principalId.split(':')[1]);
    expect(row.role_name).toBe(r.userIdentity.sessionContext.sessionIssuer.userName);
    expect(row.role_name).toMatch(/^AWSReservedSSO_/);
  }
  // Other roles' users stay their role: their sessions are instance ids and tools' random names.
  const roles = records.filter((r) => r.userIdentity.type === 'AssumedRole' && !sso.includes(r));
  expect(roles.length).toBeGreaterThan(0);
  for (const r of roles) expect(rows.get(r.eventID)!.user_name).toBe(rows.get(r.eventID)!.role_name);
});

test('made-up regions and invalid IP addresses are kept, and flagged as not addresses', () => {
  const madeUp = records.filter((r) => /r$/.test(r.awsRegion));
  expect(madeUp.length).toBeGreaterThan(0);
  const invalid = records.filter((r) => r.sourceIPAddress.split('.').some((octet: string) => /^0\d/.test(octet) || Number(octet) > 255));
  expect(invalid.length).toBeGreaterThan(0);
  for (const r of invalid) expect(rows.get(r.eventID)!.source_is_ip).toBe(false);
});

test('status: errors and unauthorized attempts', () => {
  for (const r of records) {
    const row = rows.get(r.eventID)!;
    expect({ id: r.eventID, error: row.is_error, unauthorized: row.is_unauthorized }).toEqual({
      id: r.eventID,
      error: oracleIsError(r),
      unauthorized: oracleUnauthorized(r),
    });
  }
  const unauthorized = records.filter(oracleUnauthorized).length;
  expect(unauthorized).toBeGreaterThan(0);
});

test('event times are stored in UTC exactly as CloudTrail wrote them', () => {
  for (const r of records) {
    const row = rows.get(r.eventID)!;
    expect((row.event_time as Date).toISOString().replace('.000Z', 'Z')).toBe(r.eventTime);
  }
});
