// Who reads the service's error messages whole. The messages are the service's own, made by the functions that make
// them in ingestion (explainS3Error, noLogsHere, noCredentials, unreachable, FolderSource), so a rewording there
// that the kinds no longer recognise fails here, instead of every Viewer reading "an error".
import type { IngestErrors, IngestStatus } from '../model/api';
import { noCredentials, unreachable } from '../service/awsErrors';
import { FolderSource } from '../service/ingest/sources/folder';
import { explainS3Error, noLogsHere } from '../service/ingest/sources/s3';
import { ingestErrorsFrame, ingestFrame } from '../service/reports';
import type { PluginContext } from './types';
import { errorKinds, seesDetails, shortError, shortErrors, shortIngestFrame, shortReason, shortStatus } from './visibility';

const ROLE_ARN = 'arn:aws:sts::111122223333:assumed-role/trailhound-reader/i-0abc';
const awsError = (name: string, message: string, httpStatusCode: number) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode } });
const denied = explainS3Error(awsError('AccessDenied', `User: ${ROLE_ARN} is not authorized to perform: s3:ListBucket`, 403), 'audit-logs').message;

function folderError(): string {
  try {
    new FolderSource('/no/such/trailhound/folder');
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('FolderSource took a folder that is not there');
}

const context = (role: string | undefined): PluginContext => ({
  orgId: 1,
  pluginId: 'trailhound-cloudtrail-datasource',
  user: role === undefined ? null : { login: 'someone', name: '', email: '', role },
  dataSourceInstanceSettings: null,
  pluginVersion: '',
});

describe('seesDetails', () => {
  it.each([
    ['Admin', true],
    ['Editor', true],
    ['Viewer', false],
    ['None', false],
    ['', false],
    [undefined, false],
  ])('role %p: %p', (role, sees) => {
    expect(seesDetails(context(role))).toBe(sees);
  });
});

describe('errorKinds: the kind of each of the service messages', () => {
  it.each([
    ['S3 access denied', denied, 'access denied'],
    ['a KMS key refused',
      explainS3Error(awsError('AccessDenied', 'not authorized to perform: kms:Decrypt on resource: arn:aws:kms:…', 403), 'b').message, 'access denied'],
    ['a bare 403', explainS3Error(awsError('UnknownError', 'UnknownError', 403), 'b').message, 'access denied'],
    ['no credentials', noCredentials(''), 'AWS credentials missing or refused'],
    ['a profile without credentials', noCredentials('audit'), 'AWS credentials missing or refused'],
    ['credentials refused', explainS3Error(awsError('ExpiredToken', 'expired', 400), 'b').message, 'AWS credentials missing or refused'],
    ['no bucket', explainS3Error(awsError('NoSuchBucket', 'nope', 404), 'audit-logs').message, 'a bucket that does not exist'],
    [
      'an endpoint down',
      unreachable(
        Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:9000'), { code: 'ECONNREFUSED' }),
        { name: 'S3', aws: 'S3', endpointCheck: '--s3-endpoint', setting: '--s3-endpoint' },
        'http://minio.internal:9000'
      )!,
      'an endpoint could not be reached',
    ],
    ['a folder not there', folderError(), 'a source folder that is not there'],
    ['no logs under the source', noLogsHere({ bucket: 'audit-logs', prefix: 'prod/', scope: '' }), 'no CloudTrail logs where a source points'],
    [
      "no logs under an account's folder",
      noLogsHere({ bucket: 'audit-logs', prefix: 'prod/', scope: 'AWSLogs/111122223333/' }, 'AWSLogs/111122223333/CloudTrail/'),
      'no CloudTrail logs where a source points',
    ],
    ['not a bucket', 'Catalog Error: Table with name events does not exist!', 'an error'],
    ['a message of no known kind', 'IO Error: disk full at /var/lib/trailhound', 'an error'],
  ])('%s', (_what, message, kind) => {
    expect(errorKinds(message)).toBe(kind);
  });

  it("names each kind of a poll of several sources, and none of the message's words", () => {
    const poll = `s3://audit-logs/: ${denied}; /srv/logs: ${folderError()}`;
    const short = shortError(poll);
    expect(short).toBe(
      'Access denied; a source folder that is not there: an organization Editor or Admin sees the details here, and the trailhound service log has them'
    );
  });
});

describe('shortened answers', () => {
  const status: IngestStatus = {
    objects: 2,
    events: 3,
    errors: 1,
    skipped: 0,
    newestEvent: null,
    oldestEvent: null,
    lagSeconds: null,
    lastPoll: null,
    lastPollError: denied,
    backfill: { days: 30, state: 'failed', startedAt: '2026-11-25T10:00:00.000Z', error: denied },
    sources: [
      { source: 's3://audit-logs/', objects: 2, lastRun: null, lastError: denied },
      { source: './logs', objects: 0, lastRun: null, lastError: null },
    ],
  };

  it("shortens the status's messages and keeps the rest", () => {
    const short = shortStatus(status);
    expect(JSON.stringify(short)).not.toContain('arn:');
    expect(short).toEqual({
      ...status,
      lastPollError: shortError(denied),
      backfill: { ...status.backfill, error: shortError(denied) },
      sources: [
        { ...status.sources![0], lastError: shortError(denied) },
        { ...status.sources![1], lastError: null },
      ],
    });
    expect(shortStatus({ ...status, lastPollError: null, backfill: undefined, sources: null }))
      .toEqual({ ...status, lastPollError: null, backfill: undefined, sources: null });
  });

  it('keeps only the fields a Viewer may read: what a newer service adds is dropped, at every level, until this plugin allows it', () => {
    const secret = `User: ${ROLE_ARN} is not authorized`;
    const newer = {
      ...status,
      lastPollErrorKinds: ['access-denied'],
      lastPollDetail: secret,
      retention: { days: 90, before: '2026-08-28T00:00:00.000Z', prunedAt: '2026-11-26T00:00:00.000Z', by: secret },
      backfill: { ...status.backfill!, errorKinds: ['access-denied'], requestedBy: secret },
      sources: [{ ...status.sources![0], lastErrorKind: 'access-denied', roleArn: ROLE_ARN }, status.sources![1]],
      // A known field of an unexpected shape: an object where a number was, a list of objects.
      objects: { count: 2, note: secret },
      skipped: [{ key: 'a', why: secret }],
    } as unknown as IngestStatus;
    const short = shortStatus(newer);
    expect(JSON.stringify(short)).not.toContain('arn:');
    const { objects: _objects, skipped: _skipped, ...plain } = status;
    expect(short).toEqual({
      ...plain,
      lastPollError: shortError(denied, ['access-denied']),
      lastPollErrorKinds: ['access-denied'],
      retention: { days: 90, before: '2026-08-28T00:00:00.000Z', prunedAt: '2026-11-26T00:00:00.000Z' },
      backfill: { ...status.backfill, error: shortError(denied, ['access-denied']), errorKinds: ['access-denied'] },
      sources: [
        { ...status.sources![0], lastError: shortError(denied, ['access-denied']), lastErrorKind: 'access-denied' },
        { ...status.sources![1], lastError: null },
      ],
    });
    // Not an object at all (not what a service sends): nothing of it.
    expect(shortStatus('arn:aws:iam::1:role/x' as unknown as IngestStatus)).toEqual({});
    expect(shortStatus({ ...status, sources: 'arn:' } as unknown as IngestStatus)).not.toHaveProperty('sources');

    const files: IngestErrors = {
      total: 1,
      errors: [
        { source: 's3://audit-logs/', key: 'a.json.gz', reason: `download failed: ${denied}`, kind: 'access-denied', failedAt: '2026-11-26T00:00:00.000Z' },
      ],
    };
    const newerFiles = {
      ...files, role: ROLE_ARN, errors: [{ ...files.errors[0], retryAt: '2026-11-27T00:00:00.000Z', detail: secret }],
    } as unknown as IngestErrors;
    expect(shortErrors(newerFiles)).toEqual({
      total: 1,
      errors: [{ ...files.errors[0], reason: `download failed: ${shortError(denied, ['access-denied'])}`, retryAt: '2026-11-27T00:00:00.000Z' }],
    });
  });

  it("shortens a failed download's reason, not what is wrong with a file's content", () => {
    expect(shortReason(`download failed: ${denied}`)).toBe(`download failed: ${shortError(denied)}`);
    expect(shortReason('Malformed JSON in file "a.json.gz", at byte 1 in record/value 2: unexpected end of input.')).toBe(
      'Malformed JSON in file "a.json.gz", at byte 1 in record/value 2: unexpected end of input.'
    );
  });

  it("shortens an ingest query's message columns only", () => {
    const frame = shortIngestFrame({
      name: 'ingestion',
      fields: [
        { name: 'events', type: 'number', values: [3] },
        { name: 'last poll error', type: 'string', values: [denied] },
      ],
    });
    expect(frame.fields).toEqual([
      { name: 'events', type: 'number', values: [3] },
      { name: 'last poll error', type: 'string', values: [shortError(denied)] },
    ]);
    const none = shortIngestFrame({ name: 'ingestion', fields: [{ name: 'last poll error', type: 'string', values: [null] }] });
    expect(none.fields[0].values).toEqual([null]);
    const files = shortIngestFrame({
      name: 'unreadable files', fields: [{ name: 'reason', type: 'string', values: [`download failed: ${denied}`, 'not gzip'] }],
    });
    expect(files.fields[0].values).toEqual([`download failed: ${shortError(denied)}`, 'not gzip']);
  });
});

describe("the ingest frames' columns a Viewer reads", () => {
  const status: IngestStatus = {
    objects: 1, events: 2, errors: 1, skipped: 0, newestEvent: '2026-11-26T00:00:00.000Z', oldestEvent: '2026-11-20T00:00:00.000Z', lagSeconds: 60,
    lastPoll: '2026-11-26T00:01:00.000Z', lastPollError: denied, lastPollErrorKinds: ['access-denied'], retention: null,
  };
  const files: IngestErrors = {
    total: 2,
    errors: [
      { source: 's3://audit-logs/', key: 'a.json.gz', reason: `download failed: ${denied}`, kind: 'access-denied', failedAt: '2026-11-26T00:00:00.000Z' },
      {
        source: 's3://audit-logs/', key: 'b.json.gz', reason: 'out of memory: …', kind: 'out-of-memory', failedAt: '2026-11-26T00:00:00.000Z',
        retryAt: '2026-11-26T00:05:00.000Z',
      },
    ],
  };

  it("keeps every column the service's frames have (a column it adds fails here until it is decided), its messages shortened", () => {
    for (const frame of [ingestFrame(status), ingestErrorsFrame(files)]) {
      const short = shortIngestFrame(frame);
      expect(short.fields.map((f) => f.name)).toEqual(frame.fields.map((f) => f.name));
      expect(JSON.stringify(short)).not.toContain('arn:');
    }
    // When a file that ran out of memory is tried again, as the settings page shows a Viewer too.
    const retry = shortIngestFrame(ingestErrorsFrame(files)).fields.find((f) => f.name === 'retry after');
    expect(retry).toEqual({ name: 'retry after', type: 'time', values: [null, Date.parse('2026-11-26T00:05:00.000Z')] });
  });

  it('drops a column a newer service adds, a message column of another type, and every column of a frame of another name', () => {
    const frame = ingestFrame(status);
    const newer = {
      ...frame,
      fields: [
        ...frame.fields.filter((f) => f.name !== 'last poll error'),
        { name: 'last poll error', type: 'number' as const, values: [403] },
        { name: 'last poll detail', type: 'string' as const, values: [denied] },
      ],
    };
    const short = shortIngestFrame(newer);
    expect(short.fields.map((f) => f.name)).toEqual(frame.fields.map((f) => f.name).filter((n) => n !== 'last poll error'));
    const otherName = shortIngestFrame({
      name: 'ingestion details', fields: [{ name: 'objects', type: 'number', values: [1] }, { name: 'why', type: 'string', values: [denied] }],
    });
    expect(otherName.fields).toEqual([]);
  });
});

describe('the kinds the service names beside its messages', () => {
  // Reworded: none of the words the fallback knows. The kind decides; without one (an older service), the words do.
  const reworded = 'S3 said no to the service: see its log';

  it('reads the kinds, not the words, when the service sends them', () => {
    expect(errorKinds(reworded, ['access-denied'])).toBe('access denied');
    expect(errorKinds(reworded)).toBe('an error');
    expect(errorKinds(denied, ['unreachable'])).toBe('an endpoint could not be reached');
    // A poll of several sources: each kind once, in order.
    expect(errorKinds(reworded, ['access-denied', 'no-folder', 'access-denied'])).toBe('access denied; a source folder that is not there');
    // A kind this plugin does not know (a newer service): the words, as from an older service.
    expect(errorKinds(denied, ['some-new-kind'])).toBe('access denied');
  });

  it("reads S3's throttling as such, without the bucket or day folder the service's messages name", () => {
    const slowDown = explainS3Error(awsError('SlowDown', 'Please reduce your request rate.', 503), 'audit-logs').message;
    expect(slowDown).toContain('s3://audit-logs');
    const download = shortReason(`download failed: ${slowDown}`, 'throttled');
    expect(download).toBe(`download failed: ${shortError(slowDown, ['throttled'])}`);
    expect(download).toMatch(/^download failed: S3 throttled the requests: an organization Editor or Admin sees the details/);
    const run = 'S3 is throttling requests under a day folder, skipped: s3://audit-logs/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/18/ (SlowDown)';
    const status = shortStatus({
      objects: 2, events: 2, errors: 0, skipped: 0, newestEvent: null, oldestEvent: null, lagSeconds: null, lastPoll: null,
      lastPollError: run, lastPollErrorKinds: ['throttled'],
      sources: [{ source: 's3://audit-logs/', objects: 2, lastRun: null, lastError: run, lastErrorKind: 'throttled' }],
    });
    expect(status).toMatchObject({ lastPollError: shortError(run, ['throttled']), lastPollErrorKinds: ['throttled'] });
    expect(status.lastPollError).toMatch(/^S3 throttled the requests: /);
    expect(status.sources?.[0]).toMatchObject({ lastError: shortError(run, ['throttled']), lastErrorKind: 'throttled' });
    expect(JSON.stringify([download, status])).not.toMatch(/AWSLogs|111122223333|rate/);
  });

  it("shortens a file's reason by its kind: a download's failure, not what is wrong with the file", () => {
    expect(shortReason(`download failed: ${reworded}`, 'access-denied')).toBe(`download failed: ${shortError(reworded, ['access-denied'])}`);
    expect(shortReason('Input is not a GZIP stream: 1.json.gz', 'bad-gzip')).toBe('Input is not a GZIP stream: 1.json.gz');
    expect(shortReason('out of memory: DuckDB\'s memory limit (224MB) does not hold this file', 'out-of-memory')).toMatch(/^out of memory: DuckDB/);
    // Without a kind: the service's "download failed: " mark decides.
    expect(shortReason(`download failed: ${denied}`)).toBe(`download failed: ${shortError(denied)}`);
    // A folder's file the service may not read keeps its own mark; the path on the service's disk goes.
    const unreadable = "/srv/trail/AWSLogs/a.json.gz may not be read by the service's user (EACCES): fix the file's permissions (chmod, chown)";
    expect(shortReason(`read failed: ${unreadable}`, 'access-denied')).toBe(`read failed: ${shortError(unreadable, ['access-denied'])}`);
  });

  it('shortens the status and the frames by their kinds', () => {
    const status: IngestStatus = {
      objects: 0, events: 0, errors: 0, skipped: 0, newestEvent: null, oldestEvent: null, lagSeconds: null, lastPoll: null,
      lastPollError: reworded, lastPollErrorKinds: ['no-bucket'],
      backfill: { days: 3, state: 'failed', startedAt: '2026-11-25T10:00:00.000Z', error: reworded, errorKinds: ['credentials'] },
      sources: [{ source: 's3://b/', objects: 0, lastRun: null, lastError: reworded, lastErrorKind: 'unreachable' }],
    };
    const short = shortStatus(status);
    expect(short.lastPollError).toBe(shortError(reworded, ['no-bucket']));
    expect(short.lastPollError).toMatch(/^A bucket that does not exist:/);
    expect(short.backfill?.error).toMatch(/^AWS credentials missing or refused:/);
    expect(short.sources?.[0].lastError).toMatch(/^An endpoint could not be reached:/);
    const frame = shortIngestFrame({
      name: 'unreadable files',
      meta: { custom: { reasonKinds: ['access-denied', 'bad-json', null] } },
      fields: [{ name: 'reason', type: 'string', values: [`download failed: ${reworded}`, 'Malformed JSON', `download failed: ${denied}`] }],
    });
    expect(frame.fields[0].values).toEqual([
      `download failed: ${shortError(reworded, ['access-denied'])}`,
      'Malformed JSON',
      `download failed: ${shortError(denied)}`,
    ]);
    const poll = shortIngestFrame({
      name: 'ingestion',
      meta: { custom: { lastPollErrorKinds: ['no-logs'] } },
      fields: [{ name: 'last poll error', type: 'string', values: [reworded] }],
    });
    expect(poll.fields[0].values[0]).toMatch(/^No CloudTrail logs where a source points:/);
  });
});
