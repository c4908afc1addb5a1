// The trail inventory through @aws-sdk/client-cloudtrail against a loopback CloudTrail API (JSON 1.1).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Database } from '../db/database';
import { cloudtrailEndpointHint, syncTrails } from '.';
import { awsError, startTestCloudTrail, type Handler, type TestCloudTrail } from '../../../tests/support/cloudtrail-api';
import { asAws } from '../../../tests/support/aws-config';
import { runCli } from '../../../tests/support/cli';
import { tempDir } from '../../../tests/support/temp';
import { hungServer, refusedUrl } from '../../../tests/support/net';

const A = 'arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail';
const B = 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/eu-audit';
const C = 'arn:aws:cloudtrail:us-west-2:444455556666:trail/member-trail';

// Documented shapes: ListTrails → Trails[{TrailARN, Name, HomeRegion}] + NextToken; DescribeTrails → trailList;
// GetTrailStatus → IsLogging, Latest*Time / Start/StopLoggingTime as epoch seconds, Latest*Error.
const DESCRIBED: Record<string, Record<string, unknown>> = {
  [A]: {
    Name: 'org-trail', S3BucketName: 'acme-cloudtrail', S3KeyPrefix: 'org', SnsTopicName: 'ct-topic',
    SnsTopicARN: 'arn:aws:sns:us-east-1:111122223333:ct-topic', IncludeGlobalServiceEvents: true, IsMultiRegionTrail: true,
    HomeRegion: 'us-east-1', TrailARN: A, LogFileValidationEnabled: true, HasCustomEventSelectors: false, IsOrganizationTrail: true,
  },
  [B]: {
    Name: 'eu-audit', S3BucketName: 'eu-audit-logs', IncludeGlobalServiceEvents: false, IsMultiRegionTrail: false,
    HomeRegion: 'eu-west-1', TrailARN: B, IsOrganizationTrail: false,
  },
  [C]: { Name: 'member-trail', S3BucketName: 'member-logs', HomeRegion: 'us-west-2', TrailARN: C, IsMultiRegionTrail: true },
};

const handler: Handler = ({ operation, region, body }) => {
  switch (operation) {
    case 'ListTrails':
      // Two pages; the multi-region trail appears once, with its home region.
      return body.NextToken === 'page-2'
        ? { body: { Trails: [{ TrailARN: C, Name: 'member-trail', HomeRegion: 'us-west-2' }] } }
        : {
          body: {
            Trails: [{ TrailARN: A, Name: 'org-trail', HomeRegion: 'us-east-1' }, { TrailARN: B, Name: 'eu-audit', HomeRegion: 'eu-west-1' }],
            NextToken: 'page-2',
          },
        };
    case 'DescribeTrails': {
      const names = (body.trailNameList as string[]) ?? [];
      // A trail is described only in its home region, as CloudTrail does without shadow trails.
      return { body: { trailList: names.filter((n) => DESCRIBED[n]?.HomeRegion === region).map((n) => DESCRIBED[n]) } };
    }
    case 'GetTrailStatus':
      if (body.Name === A) {
        return {
          body: {
            IsLogging: true, LatestDeliveryTime: 1763630000, LatestNotificationTime: 1763630005.5, StartLoggingTime: 1700000000,
            TimeLoggingStarted: '2023-11-14T22:13:20Z',
          },
        };
      }
      if (body.Name === B) {
        return { body: { IsLogging: false, LatestDeliveryError: 'AccessDenied', StopLoggingTime: 1763000000, StartLoggingTime: 1690000000 } };
      }
      return awsError('AccessDeniedException', 'User is not authorized to perform: cloudtrail:GetTrailStatus');
    default:
      return awsError('UnknownOperationException', operation);
  }
};

let api: TestCloudTrail;
let dir: string;
beforeAll(async () => {
  api = await startTestCloudTrail(handler);
  dir = tempDir();
});
afterAll(async () => {
  await api.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  api.calls.length = 0;
});

test('every trail with its configuration and status, stored field by field', async () => {
  const db = await Database.open(path.join(dir, 'a.duckdb'));
  try {
    const result = await syncTrails(db, { endpoint: api.endpoint, region: 'us-east-1' });
    expect(result.warnings).toEqual([expect.stringMatching(/^status of member-trail: AccessDeniedException/)]);
    const rows = await db.all<Record<string, unknown>>(`SELECT * EXCLUDE (synced_at) FROM trails ORDER BY name`);
    expect(rows).toEqual([
      {
        arn: B, name: 'eu-audit', home_region: 'eu-west-1', s3_bucket: 'eu-audit-logs', s3_key_prefix: null, is_logging: false,
        include_global_service_events: false, is_multi_region: false, is_organization_trail: false,
        logging_started: new Date(1690000000 * 1000), logging_stopped: new Date(1763000000 * 1000), last_delivery: null,
        last_delivery_error: 'AccessDenied', last_notification: null, last_notification_error: null, sns_topic: null,
      },
      {
        arn: C, name: 'member-trail', home_region: 'us-west-2', s3_bucket: 'member-logs', s3_key_prefix: null, is_logging: null,
        include_global_service_events: null, is_multi_region: true, is_organization_trail: null, logging_started: null,
        logging_stopped: null, last_delivery: null, last_delivery_error: null, last_notification: null, last_notification_error: null, sns_topic: null,
      },
      {
        arn: A, name: 'org-trail', home_region: 'us-east-1', s3_bucket: 'acme-cloudtrail', s3_key_prefix: 'org', is_logging: true,
        include_global_service_events: true, is_multi_region: true, is_organization_trail: true,
        logging_started: new Date(1700000000 * 1000), logging_stopped: null, last_delivery: new Date(1763630000 * 1000),
        last_delivery_error: null, last_notification: new Date(1763630005500), last_notification_error: null, sns_topic: 'ct-topic',
      },
    ]);
  } finally {
    db.close();
  }
  // What the SDK really sent: paging, describing in each home region, status by ARN.
  expect(api.calls.map((c) => `${c.operation}@${c.region}`)).toEqual([
    'ListTrails@us-east-1', 'ListTrails@us-east-1',
    'DescribeTrails@us-east-1', 'DescribeTrails@eu-west-1', 'DescribeTrails@us-west-2',
    'GetTrailStatus@us-east-1', 'GetTrailStatus@eu-west-1', 'GetTrailStatus@us-west-2',
  ]);
  expect(api.calls[1].body).toEqual({ NextToken: 'page-2' });
  // With shadow trails, or a member account's organization trail would be left out.
  expect(api.calls[3].body).toEqual({ trailNameList: [B], includeShadowTrails: true });
  expect(api.calls[5].body).toEqual({ Name: A });
});

test('a second sync replaces the inventory; ListTrails denied falls back to the given regions', async () => {
  const denied = await startTestCloudTrail((call) =>
    call.operation === 'ListTrails'
      ? awsError('AccessDeniedException', 'no')
      : call.operation === 'DescribeTrails'
        ? { body: { trailList: call.region === 'eu-west-1' ? [DESCRIBED[B]] : [] } }
        : { body: { IsLogging: true } }
  );
  const db = await Database.open(path.join(dir, 'b.duckdb'));
  try {
    await syncTrails(db, { endpoint: api.endpoint, region: 'us-east-1' });
    const result = await syncTrails(db, { endpoint: denied.endpoint, region: 'us-east-1', fallbackRegions: ['eu-west-1'] });
    expect(result.warnings[0]).toMatch(/ListTrails was denied/);
    expect(await db.all(`SELECT name, is_logging FROM trails`)).toEqual([{ name: 'eu-audit', is_logging: true }]);
    expect(denied.calls.filter((c) => c.operation === 'DescribeTrails').map((c) => c.body)).toEqual([
      { includeShadowTrails: true },
      { includeShadowTrails: true },
    ]);
  } finally {
    db.close();
    await denied.stop();
  }
});

test("a CloudTrail-compatible server's answer of types AWS never sends is stored with those fields empty, not a TypeError", async () => {
  // The SDK passes a JSON 1.1 answer on as it is: a number for a name, a list that is no list, a time past year 9999.
  const odd = await startTestCloudTrail(({ operation }) => {
    if (operation === 'ListTrails') return { body: { Trails: [null, 7, { TrailARN: 12 }, { TrailARN: A, Name: 42, HomeRegion: { r: 1 } }] } };
    if (operation === 'DescribeTrails') {
      return { body: { trailList: [{ ...DESCRIBED[A], Name: ['org-trail'], S3BucketName: 5, IsMultiRegionTrail: 'yes', HomeRegion: 7 }, 'x'] } };
    }
    return { body: { IsLogging: 'true', LatestDeliveryTime: 1e20, StartLoggingTime: 1700000000, LatestDeliveryError: { code: 1 } } };
  });
  const db = await Database.open(path.join(dir, 'odd.duckdb'));
  try {
    expect(await syncTrails(db, { endpoint: odd.endpoint, region: 'us-east-1' })).toMatchObject({ warnings: [] });
    expect(await db.all(`SELECT arn, name, home_region, s3_bucket, is_multi_region, is_logging, logging_started::VARCHAR AS started,
      last_delivery, last_delivery_error, s3_key_prefix FROM trails`)).toEqual([{
      arn: A, name: A, home_region: null, s3_bucket: null, is_multi_region: null, is_logging: null, started: '2023-11-14 22:13:20',
      last_delivery: null, last_delivery_error: null, s3_key_prefix: 'org',
    }]);
  } finally {
    db.close();
    await odd.stop();
  }
});

test('a server that gives one NextToken twice fails the sync in words, instead of listing the same pages for ever', async () => {
  const looping = await startTestCloudTrail(() => ({ body: { Trails: [{ TrailARN: A, Name: 'org-trail', HomeRegion: 'us-east-1' }], NextToken: 'again' } }));
  const db = await Database.open(path.join(dir, 'looping.duckdb'));
  try {
    await expect(syncTrails(db, { endpoint: looping.endpoint, region: 'us-east-1' })).rejects.toThrow(
      `the CloudTrail endpoint ${looping.endpoint} gave one NextToken twice: not as CloudTrail does`
    );
    expect(looping.calls.map((c) => c.operation)).toEqual(['ListTrails', 'ListTrails']);
  } finally {
    db.close();
    await looping.stop();
  }
});

test('an endpoint that does not answer says which one and what to check', async () => {
  const url = await refusedUrl();
  const db = await Database.open(path.join(dir, 'refused.duckdb'));
  try {
    await expect(syncTrails(db, { endpoint: url, region: 'us-east-1' })).rejects.toThrow(
      new RegExp(`^cannot reach the CloudTrail endpoint ${url} \\(ECONNREFUSED, .*\\): check --cloudtrail-endpoint \\(or TRAILHOUND_CLOUDTRAIL_ENDPOINT\\)$`)
    );
  } finally {
    db.close();
  }
});

test('an endpoint that answers, but not as CloudTrail does (another server at that address), says so, not the SDK\'s "UnknownError"', async () => {
  // An empty 404 (the SDK's "Unknown: UnknownError"), and a web page (its "… is not valid JSON  Deserialization error …").
  const db = await Database.open(path.join(dir, 'other.duckdb'));
  for (const [status, body] of [[404, ''], [200, '<!DOCTYPE html><html><body>Grafana</body></html>']] as const) {
    const other = http.createServer((req, res) => res.writeHead(status, { 'content-type': 'text/html' }).end(body));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    try {
      await expect(syncTrails(db, { endpoint: url, region: 'us-east-1' })).rejects.toThrow(
        new RegExp(
          `^the CloudTrail endpoint ${url} answered HTTP ${status}, but not as CloudTrail does: ` +
            'check that --cloudtrail-endpoint \\(or TRAILHOUND_CLOUDTRAIL_ENDPOINT\\) is the address of the CloudTrail-compatible server$'
        )
      );
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  }
  db.close();
});

test('an endpoint that takes the connection and never answers fails after the idle timeout, named, instead of holding the sync for ever', async () => {
  const hung = await hungServer();
  const { url } = hung;
  const db = await Database.open(path.join(dir, 'hung.duckdb'));
  try {
    await expect(syncTrails(db, { endpoint: url, region: 'us-east-1', idleTimeoutMs: 200 })).rejects.toThrow(
      `cannot reach the CloudTrail endpoint ${url} (ETIMEDOUT, the request socket timed out after 200 ms of inactivity): ` +
        'check --cloudtrail-endpoint (or TRAILHOUND_CLOUDTRAIL_ENDPOINT)'
    );
  } finally {
    db.close();
    await hung.close();
  }
}, 30_000);

test('a request that gets no answer fails after the answer timeout, long before three idle timeouts', async () => {
  const hung = await hungServer();
  const { url } = hung;
  const db = await Database.open(path.join(dir, 'answer.duckdb'));
  const started = Date.now();
  try {
    // The idle timeout as it ships (60 s, 3 tries: the sync failed after 3 minutes); only the answer timeout shortened.
    await expect(syncTrails(db, { endpoint: url, region: 'us-east-1', answerTimeoutMs: 300 })).rejects.toThrow(
      `cannot reach the CloudTrail endpoint ${url} (ETIMEDOUT, no answer within 300 ms): check --cloudtrail-endpoint (or TRAILHOUND_CLOUDTRAIL_ENDPOINT)`
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  } finally {
    db.close();
    await hung.close();
  }
}, 30_000);

test('trails sync --json and trails list, as a user runs them', async () => {
  const db = path.join(dir, 'cli.duckdb');
  const env = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };
  const sync = await runCli(['trails', 'sync', '--db', db, '--cloudtrail-endpoint', api.endpoint, '--json'], env);
  expect(sync.code).toBe(0);
  expect(JSON.parse(sync.stdout)).toMatchObject({ trails: 3, notLogging: 1 });
  // Without --json: the summary on stdout, each warning on stderr, prefixed as every command's warnings are.
  const plain = await runCli(['trails', 'sync', '--db', db, '--cloudtrail-endpoint', api.endpoint], env);
  expect([plain.code, plain.stdout]).toEqual([0, 'Stored 3 trails (1 not logging).\n']);
  expect(plain.stderr).toMatch(/^trailhound: warning: status of member-trail: AccessDeniedException\b.*\n$/);
  const list = await runCli(['trails', 'list', '--db', db]);
  expect(list.code).toBe(0);
  const lines = list.stdout.trim().split('\n');
  // The columns and names of report trails (the List of Trails' frame), not the table's own (home_region, s3_bucket).
  expect(lines[0]).toMatch(/^name\s+S3 bucket\s+S3 key prefix\s+is logging\s+.*\s+home region\s+.*\s+ARN$/);
  expect(lines.slice(2).map((l) => l.split(/\s+/)[0])).toEqual(['eu-audit', 'member-trail', 'org-trail']);
  const report = await runCli(['report', 'trails', '--db', db]);
  expect([report.code, report.stdout]).toEqual([0, list.stdout]);
  // --json: the rows GET /api/trails lists, times in ISO 8601.
  const json = await runCli(['trails', 'list', '--db', db, '--json']);
  const rows = JSON.parse(json.stdout);
  expect(rows.map((r: { name: string }) => r.name)).toEqual(['eu-audit', 'member-trail', 'org-trail']);
  expect(rows[0]).toEqual(expect.objectContaining({ home_region: expect.any(String), s3_bucket: expect.any(String), arn: expect.any(String) }));
  const times = rows.flatMap((r: Record<string, unknown>) => [r.logging_started, r.last_delivery]).filter((t: unknown) => t !== null);
  expect(times.length).toBeGreaterThan(0);
  for (const t of times) expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  // A mistyped --db: what to do, as report says it, not DuckDB's "Cannot open database … in read-only mode".
  const typo = await runCli(['trails', 'list', '--db', path.join(dir, 'cli.duckbd')]);
  expect(typo.code).toBe(1);
  expect(typo.stderr).toBe(
    `trailhound: there is no database at ${path.join(dir, 'cli.duckbd')}: check --db, or run 'trailhound ingest' (or 'trailhound serve') with that --db first\n`
  );
});

// A Region that is not enabled for the account (an opt-in Region such as ap-southeast-5) answers every call with
// UnrecognizedClientException; an SCP that denies a Region, with AccessDeniedException.
const OPT_IN = 'arn:aws:cloudtrail:ap-southeast-5:111122223333:trail/apse5-audit';
const notEnabled = () => awsError('UnrecognizedClientException', 'The security token included in the request is invalid.');

test('a Region whose DescribeTrails fails is a warning: the other Regions\' trails are stored, ' +
  'and its listed trails kept with what ListTrails says', async () => {
  const partial = await startTestCloudTrail((call) => {
    if (call.region === 'ap-southeast-5') return notEnabled();
    if (call.operation === 'ListTrails') {
      const trails = [{ TrailARN: A, Name: 'org-trail', HomeRegion: 'us-east-1' }, { TrailARN: OPT_IN, Name: 'apse5-audit', HomeRegion: 'ap-southeast-5' }];
      return { body: { Trails: trails } };
    }
    return handler(call);
  });
  const db = await Database.open(path.join(dir, 'partial.duckdb'));
  try {
    const result = await syncTrails(db, { endpoint: partial.endpoint, region: 'us-east-1' });
    expect(result.warnings).toEqual([
      expect.stringMatching(/^trails in ap-southeast-5 not described: UnrecognizedClientException: .*; a Region not enabled for the account answers so/),
      expect.stringMatching(/^status of apse5-audit: UnrecognizedClientException/),
    ]);
    expect(await db.all(`SELECT name, home_region, s3_bucket, is_logging FROM trails ORDER BY name`)).toEqual([
      { name: 'apse5-audit', home_region: 'ap-southeast-5', s3_bucket: null, is_logging: null },
      { name: 'org-trail', home_region: 'us-east-1', s3_bucket: 'acme-cloudtrail', is_logging: true },
    ]);
  } finally {
    db.close();
    await partial.stop();
  }
});

test('ListTrails denied: a --region that is not enabled is a warning, the others are described; ' +
  'denied everywhere, the sync fails and keeps the inventory', async () => {
  let describe: 'eu-only' | 'denied' = 'eu-only';
  const fallback = await startTestCloudTrail((call) => {
    if (call.operation === 'ListTrails') return awsError('AccessDeniedException', 'no');
    if (call.region === 'ap-southeast-5') return notEnabled();
    if (call.operation === 'DescribeTrails') {
      if (describe === 'denied') return awsError('AccessDeniedException', 'User is not authorized to perform: cloudtrail:DescribeTrails');
      return { body: { trailList: call.region === 'eu-west-1' ? [DESCRIBED[B]] : [] } };
    }
    return { body: { IsLogging: true } };
  });
  const db = await Database.open(path.join(dir, 'fallback.duckdb'));
  try {
    const sync = () => syncTrails(db, { endpoint: fallback.endpoint, region: 'us-east-1', fallbackRegions: ['ap-southeast-5', 'eu-west-1'] });
    const result = await sync();
    expect(result.warnings).toEqual([
      expect.stringMatching(/^ListTrails was denied/),
      expect.stringMatching(/^trails in ap-southeast-5 not described: UnrecognizedClientException/),
    ]);
    expect(await db.all(`SELECT name FROM trails`)).toEqual([{ name: 'eu-audit' }]);
    // Described nowhere: not an empty inventory stored over the one there.
    describe = 'denied';
    await expect(sync()).rejects.toThrow(/^AccessDeniedException: User is not authorized to perform: cloudtrail:DescribeTrails/);
    expect(await db.all(`SELECT name FROM trails`)).toEqual([{ name: 'eu-audit' }]);
  } finally {
    db.close();
    await fallback.stop();
  }
});

test('a trail ListTrails lists that DescribeTrails by ARN leaves out (an organization trail seen from a member account) ' +
  'is described from its Region\'s list; one described nowhere is kept, with a warning', async () => {
  // DescribeTrails by name answers for the caller's own trails only ("current Region and current account"); without
  // names, with shadow trails, it lists the organization's trail too.
  const member = await startTestCloudTrail((call) => {
    // eu-audit, listed, is described by neither (deleted between the calls, say).
    const trails = [{ TrailARN: A, Name: 'org-trail', HomeRegion: 'us-east-1' }, { TrailARN: B, Name: 'eu-audit', HomeRegion: 'eu-west-1' }];
    if (call.operation === 'ListTrails') return { body: { Trails: trails } };
    if (call.operation === 'DescribeTrails') return { body: { trailList: call.body.trailNameList || call.region !== 'us-east-1' ? [] : [DESCRIBED[A]] } };
    return handler(call);
  });
  const db = await Database.open(path.join(dir, 'member.duckdb'));
  try {
    const result = await syncTrails(db, { endpoint: member.endpoint, region: 'us-east-1' });
    expect(result.warnings).toEqual(['eu-audit: listed, but DescribeTrails in eu-west-1 did not describe it; kept without its configuration']);
    expect(await db.all(`SELECT name, home_region, s3_bucket, is_organization_trail, is_logging FROM trails ORDER BY name`)).toEqual([
      { name: 'eu-audit', home_region: 'eu-west-1', s3_bucket: null, is_organization_trail: null, is_logging: false },
      { name: 'org-trail', home_region: 'us-east-1', s3_bucket: 'acme-cloudtrail', is_organization_trail: true, is_logging: true },
    ]);
  } finally {
    db.close();
    await member.stop();
  }
});

test('keys CloudTrail does not know, asked in one partition\'s Region, say that GovCloud\'s and China\'s are known only in theirs', async () => {
  const unknown = await startTestCloudTrail(() => notEnabled());
  const db = await Database.open(path.join(dir, 'partition.duckdb'));
  try {
    // AWS's endpoint as far as the sync knows (asAws: the config file's endpoint_url reaches the SDK alone).
    await asAws(unknown.endpoint, async () => {
      await expect(syncTrails(db, { region: 'us-east-1' })).rejects.toThrow(
        'UnrecognizedClientException: The security token included in the request is invalid. Keys of AWS GovCloud (US) and of AWS China are known ' +
          'only there: for trails in one of them, set AWS_REGION to its Region (this asked us-east-1).'
      );
      await expect(syncTrails(db, { region: 'cn-north-1' })).rejects.toThrow(/ AWS_REGION is cn-north-1, in AWS China: only its own keys are known there\.$/);
    });
  } finally {
    db.close();
    await unknown.stop();
  }
});

/** `body` run with `variables` set, as a user's environment sets them: the AWS SDK reads them at each client it makes. */
async function withVariables<T>(variables: Record<string, string>, body: () => Promise<T>): Promise<T> {
  Object.assign(process.env, variables);
  try {
    return await body();
  } finally {
    for (const name of Object.keys(variables)) delete process.env[name];
  }
}

test('AWS_ENDPOINT_URL_CLOUDTRAIL alone (no --cloudtrail-endpoint) is a CloudTrail-compatible server as the flag\'s is: ' +
  'its errors neither send the user to AWS\'s partitions nor say to set --cloudtrail-endpoint', async () => {
  const db = await Database.open(path.join(dir, 'variable.duckdb'));
  const refusing = await startTestCloudTrail(() => notEnabled());
  try {
    await withVariables({ AWS_ENDPOINT_URL_CLOUDTRAIL: api.endpoint }, async () => {
      expect((await syncTrails(db, { region: 'us-east-1' })).trails.map((t) => t.name)).toEqual(['eu-audit', 'member-trail', 'org-trail']);
    });
    expect(api.calls.map((c) => c.operation)).toContain('GetTrailStatus');
    // A LocalStack's own keys refused, S3 read from its endpoint too (--s3-endpoint): CloudTrail's is set, there is nothing to hint at.
    await withVariables({ AWS_ENDPOINT_URL_CLOUDTRAIL: refusing.endpoint }, async () => {
      await expect(syncTrails(db, { region: 'us-east-1', s3Endpoint: 'http://127.0.0.1:4566' })).rejects.toThrow(
        /^UnrecognizedClientException: The security token included in the request is invalid\.$/
      );
    });
  } finally {
    db.close();
    await refusing.stop();
  }
});

test('a CloudTrail endpoint from AWS_ENDPOINT_URL_CLOUDTRAIL or AWS_ENDPOINT_URL that does not answer, or not as CloudTrail does, ' +
  'names that variable; --cloudtrail-endpoint comes first', async () => {
  const closed = await refusedUrl();
  const other = http.createServer((req, res) => res.writeHead(404).end());
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  const notCloudTrail = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  const db = await Database.open(path.join(dir, 'variable-nowhere.duckdb'));
  try {
    await withVariables({ AWS_ENDPOINT_URL: closed }, async () => {
      await expect(syncTrails(db, { region: 'us-east-1' })).rejects.toThrow(
        new RegExp(`^cannot reach the CloudTrail endpoint ${closed} \\(ECONNREFUSED, .*\\): check AWS_ENDPOINT_URL$`)
      );
      await withVariables({ AWS_ENDPOINT_URL_CLOUDTRAIL: notCloudTrail }, () =>
        expect(syncTrails(db, { region: 'us-east-1' })).rejects.toThrow(
          `the CloudTrail endpoint ${notCloudTrail} answered HTTP 404, but not as CloudTrail does: ` +
            'check that AWS_ENDPOINT_URL_CLOUDTRAIL is the address of the CloudTrail-compatible server'
        )
      );
      expect((await syncTrails(db, { region: 'us-east-1', endpoint: api.endpoint })).trails).toHaveLength(3);
    });
  } finally {
    db.close();
    await new Promise((resolve) => other.close(resolve));
  }
});

test('S3 from AWS_ENDPOINT_URL_S3 and CloudTrail from AWS: a failed sync says to set --cloudtrail-endpoint, naming the variable S3 is read from', async () => {
  const unknown = await startTestCloudTrail(() => notEnabled());
  const db = await Database.open(path.join(dir, 's3-variable.duckdb'));
  try {
    await asAws(unknown.endpoint, () =>
      withVariables({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000' }, async () => {
        const failed = await syncTrails(db, { region: 'us-east-1' }).then(() => '', (err: Error) => err.message);
        const hint = cloudtrailEndpointHint('AWS_ENDPOINT_URL_S3');
        expect([failed.startsWith('UnrecognizedClientException: '), failed.endsWith(`; ${hint}`)]).toEqual([true, true]);
        expect(hint).toMatch(/^S3 is read from AWS_ENDPOINT_URL_S3, but the trail list from AWS CloudTrail: set --cloudtrail-endpoint /);
      })
    );
  } finally {
    db.close();
    await unknown.stop();
  }
});
