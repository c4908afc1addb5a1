// CloudTrail logs in S3. Lists only the day prefixes inside the window, never the whole bucket.
import '../../env'; // no AWS SDK Node-version warning, also when used as a library
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  S3Client,
  type GetObjectCommandOutput,
  type ListObjectsV2CommandInput,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { ConfiguredRetryStrategy, DEFAULT_MAX_ATTEMPTS } from '@smithy/core/retry';
import { clipped } from '../../../model/clipped';
import { DOWNLOAD_FAILED } from '../../../model/api';
import { configuredEndpoint, ENDPOINT_FLAG } from '../../awsEndpoints';
import { isMissingCredentials, networkErrorCode, notTheService, noCredentials, otherPartition, unreachable, type AwsService } from '../../awsErrors';
import { pagesByToken } from '../../awsPages';
import { ANSWER_TIMEOUT_MS, IDLE_TIMEOUT_MS, requestHandler } from '../../awsTimeouts';
import { diskFullIn, KMS_KEY_UNUSABLE, kinded, kindOf } from '../../errorKind';
import { counted } from '../../counted';
import { isGzipFile } from '../../logFileStream';
import { daysOf, sourceScope, type DayWindow } from '../keys';
import { ListingThrottled, ObjectGoneError, type FetchedObject, type LogObjectRef, type LogSource } from './source';

export interface S3Location {
  bucket: string;
  /** The trail's S3 key prefix: '' or a prefix ending in '/'. */
  prefix: string;
  /** The folder of the layout below it that alone is listed ('' for all of AWSLogs/): see keys.ts sourceScope. */
  scope: string;
}

export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m || !m[1]) {
    throw new Error(`${url} is not an S3 URL: expected s3://bucket or s3://bucket/prefix`);
  }
  const path = m[2].replace(/\/+$/, '');
  const scoped = sourceScope(path ? `${path}/` : '');
  if ('startAt' in scoped) {
    throw new Error(
      `${url} is inside CloudTrail's layout, but not a folder a source can start at: give the trail's prefix (s3://bucket/prefix, ` +
        `without AWSLogs/), or its organization, account, CloudTrail/ or region folder, e.g. s3://${m[1]}/${scoped.startAt}`
    );
  }
  return { bucket: m[1], prefix: scoped.root, scope: scoped.scope };
}

/** An ETag as the ledger keeps it: S3 quotes it ("…"). */
const unquoted = (etag: string | undefined) => (etag ?? '').replace(/"/g, '');

/** How ingest_runs names an S3 source. */
export const s3SourceId = ({ bucket, prefix, scope }: S3Location) => `s3://${bucket}/${prefix}${scope}`;

/**
 * How the ledger names an S3 source's files, by the trail whichever of its folders the source starts at, and what
 * their keys start with (the folder's own): as folder.ts folderLedger says it of a folder.
 */
export const s3Ledger = ({ bucket, prefix, scope }: S3Location) => ({ ledger: `s3://${bucket}/${prefix}`, keyScope: `${prefix}${scope}` });

export interface S3SourceOptions {
  /**
   * An S3-compatible endpoint (MinIO, fauxqs, LocalStack) from --s3-endpoint; implies path-style addressing, unless it
   * is on AWS's own hosts. Without it, the AWS SDK's AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or config file's
   * endpoint_url is one (awsEndpoints.ts configuredEndpoint).
   */
  endpoint?: string;
  region?: string;
  /** How long a request may go without a byte, connecting or downloading, before it fails. */
  idleTimeoutMs?: number;
  /** How long a listing may wait for S3's answer (awsTimeouts.ts; tests). */
  answerTimeoutMs?: number;
  /** The run's stop signal: it aborts the requests in flight (listings and downloads). */
  signal?: AbortSignal;
  /** The Regions learned by earlier runs (the service's, shared by its polls); without it, this source's own. */
  bucketRegions?: BucketRegions;
  /** Told, with a line to log, when the bucket's Region cannot be learned: once per bucket per `bucketRegions`. */
  onRegionUnknown?: (said: string) => void;
  /** The waits of a throttled listing (THROTTLE_WAITS; tests shorten them). */
  throttleWaits?: ThrottleWaits;
}

/**
 * The Region each bucket is read in, by endpoint and bucket, once HeadBucket was asked: a service asks it once per
 * bucket, not at every poll. A bucket whose Region could not be learned has the configured one, as it was read in.
 */
export class BucketRegions {
  private readonly regions = new Map<string, string>();

  private static key(bucket: string, endpoint = '') {
    return `${endpoint} ${bucket}`;
  }

  get(bucket: string, endpoint?: string): string | undefined {
    return this.regions.get(BucketRegions.key(bucket, endpoint));
  }

  set(bucket: string, endpoint: string | undefined, region: string): void {
    this.regions.set(BucketRegions.key(bucket, endpoint), region);
  }
}

/**
 * HeadBucket's answers that the next run would get again: a refusal (a reader granted s3:ListBucket under a prefix),
 * or a server that does not do HeadBucket. Others (no such bucket yet, throttled, a server error) are asked again.
 */
const LASTING_REFUSALS = [400, 401, 403, 405, 501];

/** The bucket's Region as S3 names it on a refused or redirected HeadBucket (x-amz-bucket-region), on 301 and 403 too. */
const regionNamedBy = (err: unknown): string | undefined =>
  (err as { $response?: { headers?: Record<string, string | undefined> } }).$response?.headers?.['x-amz-bucket-region'] || undefined;

/** How long a listing S3 throttles waits before it is tried again. */
export interface ThrottleWaits {
  /** Before its first retry; each wait after doubles it, with jitter. */
  firstMs: number;
  /** All of a run's waits together at most: past it, a throttled listing is not tried again (the next poll lists it). */
  perRunMs: number;
  /**
   * The AWS SDK's own wait before each of its retries of a request, throttled or not (tests shorten it). Unset, the SDK's
   * backoff: up to 1 s, then 2 s, for a throttled request, which waits most; S3's x-amz-retry-after still stretches it.
   */
  sdkRetryMs?: number;
}

/**
 * A listing S3 throttles (503 SlowDown) past the AWS SDK's own three tries is tried this many times more, after waits of
 * up to 1, 2, 4 and 8 s: S3 raises a prefix's request rate as the load on it grows, and a large organization trail's
 * load lists thousands of day folders. At most 2 minutes of waits a run, so that a prefix throttled for long ends the
 * run (its next poll lists the prefix again) instead of holding it and the polls after it.
 */
const THROTTLE_RETRIES = 4;
export const THROTTLE_WAITS: ThrottleWaits = { firstMs: 1000, perRunMs: 120_000 };

/** 403s that are about the credentials themselves, not about what they may do. */
const CREDENTIAL_ERRORS: Record<string, string> = {
  InvalidAccessKeyId: 'the access key id is not known to AWS; check AWS_ACCESS_KEY_ID or the profile in use.',
  SignatureDoesNotMatch: 'the secret access key does not match the access key id; check AWS_SECRET_ACCESS_KEY or the profile in use.',
  ExpiredToken: 'the session has expired; renew it (aws sso login, or new temporary credentials).',
  InvalidToken: 'the session token is not valid; renew it (aws sso login, or new temporary credentials).',
};

/** What to do about an SSE-KMS object's key that S3 may not use (KMS_KEY_UNUSABLE, errorKind.ts), by S3's code. */
const KMS_KEY_PROBLEMS: Record<(typeof KMS_KEY_UNUSABLE)[number], string> = {
  'KMS.DisabledException': "is disabled: its owner has to enable it again (kms:EnableKey), and the service's credentials need kms:Decrypt on it",
  'KMS.KMSInvalidStateException':
    "cannot be used in its state (pending deletion, pending import, unavailable): its owner has to cancel its deletion and enable it, " +
    "or import its key material, and the service's credentials need kms:Decrypt on it",
  'KMS.NotFoundException': 'no longer exists (deleted): the objects it encrypted cannot be decrypted again, by anyone',
};

/**
 * The most of AWS's own words an error quotes: a policy's denial names the action, the principal and the resource in
 * a few hundred characters; a server or a proxy that answers with a page of its own should not push our advice and the
 * key after it out of the message (messageOf cuts at MAX_TEXT_CHARS).
 */
const AWS_WORDS_CHARS = 1024;

/** S3 for errors' words, its endpoint named by `setting`. */
const s3Service = (setting = ENDPOINT_FLAG.S3): AwsService => ({ name: 'S3', aws: 'S3', endpointCheck: `${setting} and that the server runs`, setting });

/**
 * Turns the SDK's terse errors into what a user can act on, each with its kind (errorKind.ts), found from the SDK's error.
 * `region`: the one asked, when it is AWS's (not --s3-endpoint's); `setting`: the one that named `endpoint`.
 */
export function explainS3Error(err: unknown, bucket: string, endpoint?: string, region?: string, setting?: string): Error {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e?.name ?? '';
  const kind = kindOf(err);
  if (isMissingCredentials(err)) {
    return kinded(noCredentials(), kind, err);
  }
  const notReached = unreachable(err, s3Service(setting), endpoint);
  if (notReached) {
    return kinded(notReached, kind, err);
  }
  if (name === 'NoSuchBucket') {
    return kinded(`The bucket ${bucket} does not exist (or not in this account/endpoint). Check --source.`, kind, err);
  }
  if (kind === 'throttled') {
    // KMS throttles the Decrypt calls of SSE-KMS downloads against the key's own quota, not S3 the prefix.
    const who = name === 'KMS.ThrottlingException' ? 'KMS is throttling the decryption of objects in' : 'S3 is throttling requests to';
    return kinded(`${who} s3://${bucket} (${throttleSaid(err)})`, kind, err);
  }
  const credentialProblem = CREDENTIAL_ERRORS[name];
  if (credentialProblem) {
    const partition = name === 'InvalidAccessKeyId' && region && !endpoint ? otherPartition(region, 'a bucket') : '';
    return kinded(`S3 refused the credentials (${name}): ${credentialProblem}${partition}`, kind, err);
  }
  const keyProblem = Object.hasOwn(KMS_KEY_PROBLEMS, name) ? KMS_KEY_PROBLEMS[name as keyof typeof KMS_KEY_PROBLEMS] : undefined;
  if (keyProblem) {
    const aws = e?.message && e.message !== 'UnknownError' ? `; AWS says: ${clipped(e.message, AWS_WORDS_CHARS)}` : '';
    return kinded(`S3 could not decrypt an object in s3://${bucket} (${name}${aws}): its KMS key ${keyProblem}.`, kind, err);
  }
  if (name === 'AccessDenied' || e?.$metadata?.httpStatusCode === 403) {
    // AWS's own words say which action and resource, e.g. kms:Decrypt on the trail's key.
    const aws = e?.message && e.message !== 'Access Denied' && e.message !== 'UnknownError' ? ` (AWS says: ${clipped(e.message, AWS_WORDS_CHARS)})` : '';
    const needs = "the credentials need s3:ListBucket and s3:GetObject on it, and kms:Decrypt on the trail's KMS key if its logs are SSE-KMS encrypted";
    return kinded(`Access to s3://${bucket} was denied: ${needs}${aws}.`, kind, err);
  }
  const notS3 = notTheService(err, s3Service(setting), endpoint);
  if (notS3) return kinded(notS3, kind, err);
  return err instanceof Error ? Object.assign(err, { kind }) : kinded(String(err), kind);
}

/** S3's code and words for a request it throttled: "SlowDown: Please reduce your request rate." */
function throttleSaid(err: unknown): string {
  const { name, message } = (err ?? {}) as { name?: string; message?: string };
  return message && message !== name && message !== 'UnknownError' ? `${name}: ${message}` : String(name);
}

/** Nothing where a source's listing starts (`looked`, a folder under AWSLogs/): almost always a --source that names the wrong place. */
export function noLogsHere({ bucket, prefix, scope }: S3Location, looked = scope || 'AWSLogs/'): string {
  const where = `s3://${bucket}/${prefix}${looked}`;
  if (scope) {
    return `no CloudTrail logs under ${where}: check --source, the bucket, the trail's S3 key prefix and the folder below AWSLogs/ ` +
      '(an organization, account, CloudTrail/ or region folder, as the trail writes them)';
  }
  return `no CloudTrail logs under ${where}: check --source, the bucket and the trail's S3 key prefix ` +
    '(s3://bucket/prefix, without AWSLogs/; List of Trails shows both). A new trail delivers its first logs within about 15 minutes.';
}

export class S3Source implements LogSource {
  readonly id: string;
  readonly ledger: string;
  readonly keyScope: string;
  readonly fetchFailed = DOWNLOAD_FAILED;
  /** Made by connect(), at the first request. */
  private client?: S3Client;
  private connecting?: Promise<void>;
  /** The client's Region: the configured one, then the bucket's own (useBucketRegion). */
  private region = '';
  private readonly tmp: string;
  /** --s3-endpoint's URL, given to the client whatever its host. */
  private readonly flagEndpoint?: string;
  /** The S3-compatible endpoint's URL (configuredEndpoint), and the setting that named it; none for AWS's own S3. */
  private endpoint?: string;
  private endpointSetting?: string;
  private readonly idleTimeoutMs: number;
  private readonly answerTimeoutMs: number;
  private readonly signal?: AbortSignal;
  private readonly bucketRegions: BucketRegions;
  private readonly configuredRegion?: string;
  private readonly onRegionUnknown?: (said: string) => void;
  private downloads = 0;
  private readonly throttleWaits: ThrottleWaits;
  /** How long this run's throttled listings have waited, all together (ThrottleWaits.perRunMs). */
  private throttleWaited = 0;

  constructor(
    private readonly location: S3Location,
    options: S3SourceOptions = {}
  ) {
    this.id = s3SourceId(location);
    ({ ledger: this.ledger, keyScope: this.keyScope } = s3Ledger(location));
    this.flagEndpoint = options.endpoint;
    this.idleTimeoutMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
    this.answerTimeoutMs = options.answerTimeoutMs ?? ANSWER_TIMEOUT_MS;
    this.signal = options.signal;
    this.bucketRegions = options.bucketRegions ?? new BucketRegions();
    this.onRegionUnknown = options.onRegionUnknown;
    this.configuredRegion = options.region;
    this.throttleWaits = options.throttleWaits ?? THROTTLE_WAITS;
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trailhound-s3-'));
    // close() removes the downloads; a process that quits at once (a second Ctrl-C) removes them on its way out.
    process.on('exit', this.removeDownloads);
  }

  /**
   * The endpoint (configuredEndpoint, which reads the SDK's config file: asynchronous), the Region and the client,
   * once, before the first request.
   */
  private connect(): Promise<void> {
    this.connecting ??= (async () => {
      ({ url: this.endpoint, setting: this.endpointSetting } = (await configuredEndpoint('S3', this.flagEndpoint)) ?? {});
      this.region = this.bucketRegions.get(this.location.bucket, this.endpoint) ?? this.configuredRegion ??
        process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
      this.client = this.clientFor(this.region);
    })();
    return this.connecting;
  }

  private clientFor(region: string): S3Client {
    return new S3Client({
      region,
      // An --s3-endpoint on AWS's own hosts (a FIPS or dual-stack one) is asked as AWS's S3 is: virtual-hosted.
      ...(this.endpoint ? { endpoint: this.endpoint, forcePathStyle: true } : this.flagEndpoint ? { endpoint: this.flagEndpoint } : {}),
      followRegionRedirects: true,
      // The SDK's three tries, each retry after sdkRetryMs instead of its backoff.
      ...(this.throttleWaits.sdkRetryMs !== undefined && { retryStrategy: new ConfiguredRetryStrategy(DEFAULT_MAX_ATTEMPTS, this.throttleWaits.sdkRetryMs) }),
      // The SDK sets no timeout of its own on S3 requests: a server that stops answering would hold the run for ever.
      requestHandler: requestHandler(this.idleTimeoutMs),
    });
  }

  /**
   * A client for the bucket's own Region, when S3 names another than the configured one (x-amz-bucket-region, which
   * S3 sends on HeadBucket's 200, 301 and 403 alike). The SDK follows S3's redirect request by request, never
   * remembering it: every listing and download of a bucket in eu-west-1 went to us-east-1 first. Asked once per
   * bucket per `bucketRegions` (the constructor took a Region learned before). Gives true when it cannot be learned
   * (refused without a Region, a server that does not say): the configured Region and the redirects, as before.
   */
  private async useBucketRegion(): Promise<boolean> {
    const { bucket } = this.location;
    await this.connect();
    if (this.bucketRegions.get(bucket, this.endpoint)) return false;
    let region: string;
    try {
      const head = await this.client!.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: this.signal, requestTimeout: this.answerTimeoutMs });
      // A server with no Regions (an S3-compatible one) names none, and answered in the configured one.
      region = head.BucketRegion || this.region;
    } catch (err) {
      if (this.signal?.aborted) throw err;
      // Not reached: the listing would wait as long again for nothing.
      if (networkErrorCode(err)) throw explainS3Error(err, bucket, this.endpoint, this.region, this.endpointSetting);
      const named = regionNamedBy(err);
      // Unknown: the listing's own error says what else is wrong.
      if (!named) return LASTING_REFUSALS.includes((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0);
      region = named;
    }
    this.bucketRegions.set(bucket, this.endpoint, region);
    if (region !== this.region) {
      this.client!.destroy();
      this.region = region;
      this.client = this.clientFor(this.region);
    }
    return false;
  }

  /**
   * A Region HeadBucket's refusal did not name, once the listing worked (refused credentials are refused HeadBucket
   * too, and their error says so): remembered as the configured one, not asked again, and said once. An --s3-endpoint
   * is asked whatever the Region, which only signs the requests: a server that accepted the listing signed so (MinIO,
   * LocalStack) does not redirect them, unlike AWS's S3 for a bucket in another Region.
   */
  private regionUnknown(): void {
    this.bucketRegions.set(this.location.bucket, this.endpoint, this.region);
    const refused = `s3://${this.location.bucket}: HeadBucket was refused without naming the bucket's Region`;
    this.onRegionUnknown?.(
      this.endpoint
        ? `${refused}, so requests to ${this.endpoint} are signed for the configured Region (${this.region}), which the server accepted ` +
            'for the listing: nothing to set, as an S3-compatible server does not redirect them to another Region'
        : `${refused}, so requests go to the configured Region (${this.region}), and S3 redirects each one if the bucket is in another: ` +
            "set AWS_REGION to the bucket's Region to save that round trip"
    );
  }

  private readonly removeDownloads = () => fs.rmSync(this.tmp, { recursive: true, force: true });

  /** Folder names directly under a prefix ("accounts", "regions"), following every page. */
  private async folders(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for await (const page of this.pages({ Prefix: prefix, Delimiter: '/' })) for (const p of page.CommonPrefixes ?? []) if (p.Prefix) out.push(p.Prefix);
    return out;
  }

  /**
   * A listing's pages, one after another by their continuation tokens. One cut short without a token for the rest (a
   * server's bug: S3 gives one) fails, as a token given twice does: the keys after it would be missed without a word.
   */
  private pages(input: { Prefix: string; Delimiter?: string }): AsyncGenerator<ListObjectsV2CommandOutput> {
    const listing = `the listing of s3://${this.location.bucket}/${input.Prefix}`;
    const nextToken = (page: ListObjectsV2CommandOutput) => {
      if (!page.IsTruncated) return undefined;
      if (!page.NextContinuationToken) throw new Error(`${listing} was cut short (IsTruncated) without a continuation token for the rest: not as S3 does`);
      return page.NextContinuationToken;
    };
    return pagesByToken(
      (token) => this.listPage({ Bucket: this.location.bucket, ...input, ContinuationToken: token }),
      nextToken,
      `${listing} gave one continuation token twice: not as S3 does`
    );
  }

  /** `answerMs`: how long a listing waits for its answer. A download has the idle timeout alone, not to cut a slow large one. */
  private async send<T>(command: { input: unknown }, answerMs?: number): Promise<T> {
    await this.connect();
    try {
      return (await this.client!.send(command as never, { abortSignal: this.signal, requestTimeout: answerMs })) as T;
    } catch (err) {
      // An object deleted or expired by a lifecycle rule since the listing: retrying would fail for ever.
      if ((err as { name?: string }).name === 'NoSuchKey') throw new ObjectGoneError(String((command.input as { Key?: string }).Key));
      throw explainS3Error(err, this.location.bucket, this.endpoint, this.region, this.endpointSetting);
    }
  }

  /**
   * A page of a listing, tried again while S3 throttles it (THROTTLE_WAITS): still throttled, a ListingThrottled that
   * names its prefix. The run's stop ends a wait at once. Its keys are asked for URL-encoded, as S3 advises: in its
   * XML answer a key's characters that XML 1.0 cannot hold are lost (a carriage return is read as a line feed, and that
   * key then downloads as another, which does not exist). A server that does not encode them (fauxqs) says so by not
   * echoing EncodingType, and its keys are taken as they are.
   */
  private async listPage(input: ListObjectsV2CommandInput): Promise<ListObjectsV2CommandOutput> {
    for (let tries = 1; ; tries++) {
      try {
        return urlDecoded(await this.send<ListObjectsV2CommandOutput>(new ListObjectsV2Command({ ...input, EncodingType: 'url' }), this.answerTimeoutMs));
      } catch (err) {
        if (kindOf(err) !== 'throttled') throw err;
        // Half to all of the doubled wait: listings throttled together do not all come back together.
        const doubled = this.throttleWaits.firstMs * 2 ** (tries - 1);
        const wait = Math.min(Math.round(doubled * (0.5 + Math.random() / 2)), this.throttleWaits.perRunMs - this.throttleWaited);
        if (tries > THROTTLE_RETRIES || wait <= 0) {
          const where = `s3://${this.location.bucket}/${input.Prefix ?? ''}`;
          // The tries differ from run to run (fewer once the run's cap is spent): the runs fold throttled failures by kind (foldRepeatedFailure).
          const why = `${throttleSaid((err as Error).cause)}; still after ${counted(tries, 'try', 'tries')}`;
          throw new ListingThrottled(where, why, `S3 is throttling requests under ${where} (${why}): the next poll (or ingest run) lists it again`, err);
        }
        this.throttleWaited += wait;
        await sleep(wait, undefined, { signal: this.signal });
      }
    }
  }

  /**
   * Accounts (organization trails too) and their regions, then one unit per day of the window. Listed from the
   * source's folder down only: a reader may be granted nothing above it (s3:prefix AWSLogs/o-…/111122223333/*).
   */
  async plan(window: DayWindow): Promise<string[]> {
    const unlearnable = await this.useBucketRegion();
    const regions = await this.regions();
    if (unlearnable) this.regionUnknown();
    const days = daysOf(window);
    return regions.flatMap((region) => days.map((day) => `${region}${day}/`));
  }

  /** The region folders at or below the source's folder. None found where the listing starts is no logs there. */
  private async regions(): Promise<string[]> {
    const { prefix, scope } = this.location;
    const start = `${prefix}${scope}`;
    const noLogs = (looked?: string) => kinded(noLogsHere(this.location, looked), 'no-logs');
    if (/\d{12}\/CloudTrail\/[^/]+\/$/.test(scope)) {
      // A region folder: listed only to say whether it is there, as the folders above it are.
      if ((await this.folders(start)).length === 0) throw noLogs();
      return [start];
    }
    if (/\d{12}\/(CloudTrail\/)?$/.test(scope)) {
      const trail = start.replace(/(CloudTrail\/)?$/, 'CloudTrail/');
      const regions = await this.folders(trail);
      if (regions.length === 0) throw noLogs(trail.slice(prefix.length));
      return regions;
    }
    // The trail (AWSLogs/), with its organizations' accounts, or one organization's folder.
    const root = scope ? start : `${prefix}AWSLogs/`;
    const accounts: string[] = [];
    for (const p of await this.folders(root)) {
      const name = p.slice(root.length, -1);
      if (/^\d{12}$/.test(name)) accounts.push(p);
      else if (!scope && /^o-[a-z0-9]+$/.test(name)) {
        accounts.push(...(await this.folders(p)).filter((a) => /\/\d{12}\/$/.test(a)));
      }
    }
    if (accounts.length === 0) throw noLogs();
    const regions: string[] = [];
    for (const account of accounts) regions.push(...(await this.folders(`${account}CloudTrail/`)));
    return regions;
  }

  async list(unit: string): Promise<LogObjectRef[]> {
    const out: LogObjectRef[] = [];
    for await (const page of this.pages({ Prefix: unit })) {
      for (const o of page.Contents ?? []) {
        if (o.Key && !o.Key.endsWith('/')) out.push({ key: o.Key, etag: unquoted(o.ETag), size: o.Size ?? 0 });
      }
    }
    return out;
  }

  async fetch(ref: LogObjectRef): Promise<FetchedObject> {
    const res = await this.send<GetObjectCommandOutput>(new GetObjectCommand({ Bucket: this.location.bucket, Key: ref.key }));
    // Only the key's extension: DuckDB decides on gzip from it, and reads ?, * or [] in a file name as a pattern.
    const file = path.join(this.tmp, `${++this.downloads}${ref.key.endsWith('.gz') ? '.json.gz' : '.json'}`);
    const release = () => fs.rmSync(file, { force: true });
    try {
      // The run's stop ends the download too.
      await pipeline(res.Body as Readable, fs.createWriteStream(file), { signal: this.signal });
    } catch (err) {
      release();
      // The idle timeout (the SDK's socketTimeout) watches the body too: the SDK destroys a body that stops coming with
      // its TimeoutError (a listing's requestTimeout, unlike it, ends with the headers), whose words name its package.
      const stalled = (err as { name?: string }).name === 'TimeoutError' && !this.signal?.aborted;
      // A full disk's error names no path (a write's ENOSPC): this one is in the temporary folder (ingest/index.ts diskFull).
      throw stalled ? kinded(`the download stalled: no data from S3 for ${this.idleTimeoutMs / 1000} s`, 'unreachable', err) : diskFullIn(err, file);
    }
    // Named by its bytes, which the key may not say (a gzip kept under a .json name): DuckDB and Node read by the name.
    const named = isGzipFile(file) === file.endsWith('.gz') ? file : file.endsWith('.gz') ? file.slice(0, -3) : `${file}.gz`;
    if (named !== file) fs.renameSync(file, named);
    // The version downloaded, not the one the ref names: a retry by key may find the object rewritten since it failed.
    return { path: named, etag: res.ETag ? unquoted(res.ETag) : ref.etag, size: fs.statSync(named).size, release: () => fs.rmSync(named, { force: true }) };
  }

  close(): void {
    this.client?.destroy();
    process.off('exit', this.removeDownloads);
    this.removeDownloads();
  }
}

/** A key or prefix as S3 encodes it for EncodingType=url: percent-escapes, a space as "+" (a "+" is %2B). */
function urlDecodedKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, '%20'));
  } catch {
    return encoded;
  }
}

/** A listing's page with its keys and prefixes decoded, when S3 encoded them (it echoes EncodingType). */
function urlDecoded(page: ListObjectsV2CommandOutput): ListObjectsV2CommandOutput {
  if (page.EncodingType !== 'url') return page;
  return {
    ...page,
    Contents: page.Contents?.map((o) => ({ ...o, Key: o.Key && urlDecodedKey(o.Key) })),
    CommonPrefixes: page.CommonPrefixes?.map((p) => ({ ...p, Prefix: p.Prefix && urlDecodedKey(p.Prefix) })),
  };
}
