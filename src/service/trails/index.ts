// The trail inventory (List of Trails report): ListTrails finds every trail in every region, DescribeTrails
// (in each trail's home region) gives its configuration, GetTrailStatus its logging and delivery state.
import '../env'; // no AWS SDK Node-version warning, also when used as a library
import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetTrailStatusCommand,
  ListTrailsCommand,
  type GetTrailStatusCommandOutput,
  type Trail,
  type TrailInfo,
} from '@aws-sdk/client-cloudtrail';
import { messageOf } from '../../model/errorMessage';
import { configuredEndpoint, ENDPOINT_FLAG, type ConfiguredEndpoint } from '../awsEndpoints';
import { isMissingCredentials, notTheService, noCredentials, otherPartition, unreachable, type AwsService } from '../awsErrors';
import { pagesByToken } from '../awsPages';
import { ANSWER_TIMEOUT_MS, requestHandler } from '../awsTimeouts';
import type { Database } from '../db/database';
import { MAX_TIME, MIN_TIME } from '../reports/time';

export interface TrailRecord {
  arn: string;
  name: string;
  homeRegion: string | null;
  s3Bucket: string | null;
  s3KeyPrefix: string | null;
  isLogging: boolean | null;
  includeGlobalServiceEvents: boolean | null;
  isMultiRegion: boolean | null;
  isOrganizationTrail: boolean | null;
  loggingStarted: Date | null;
  loggingStopped: Date | null;
  lastDelivery: Date | null;
  lastDeliveryError: string | null;
  lastNotification: Date | null;
  lastNotificationError: string | null;
  snsTopic: string | null;
}

export interface TrailOptions {
  /** Region for ListTrails (any works: it lists all regions). Default: AWS_REGION, else us-east-1. */
  region?: string;
  /** Where DescribeTrails runs when ListTrails is not allowed. */
  fallbackRegions?: string[];
  /**
   * A CloudTrail-compatible endpoint for every region (--cloudtrail-endpoint; one on AWS's own hosts is AWS's); without
   * it, AWS_ENDPOINT_URL_CLOUDTRAIL's, AWS_ENDPOINT_URL's or the config file's endpoint_url.
   */
  endpoint?: string;
  /**
   * S3's own endpoint (--s3-endpoint), else AWS_ENDPOINT_URL_S3's, AWS_ENDPOINT_URL's or the config file's: with none for CloudTrail, a failed
   * sync ends with cloudtrailEndpointHint.
   */
  s3Endpoint?: string;
  /** How long a request may go without a byte before it fails (tests). */
  idleTimeoutMs?: number;
  /** How long a request may wait for its answer (awsTimeouts.ts; tests). */
  answerTimeoutMs?: number;
  /** Ends the requests in flight (serve's stop, which waits for a sync in progress). */
  signal?: AbortSignal;
}

export interface TrailSync {
  trails: TrailRecord[];
  /** Problems that did not stop the sync, e.g. a trail whose status this account may not read. */
  warnings: string[];
}

/**
 * Why a trails sync fails when S3 has its own endpoint (named by `s3Setting`) and CloudTrail has none: what serve and
 * `trails sync` add to its error.
 */
export const cloudtrailEndpointHint = (s3Setting = ENDPOINT_FLAG.S3) =>
  `S3 is read from ${s3Setting}, but the trail list from AWS CloudTrail: set ${ENDPOINT_FLAG.CloudTrail} ` +
  'to the server\'s CloudTrail-compatible endpoint if it has one; without one, List of Trails stays empty and the logs are still ingested';
/** The hint when --s3-endpoint gave S3's endpoint. */
export const CLOUDTRAIL_ENDPOINT_HINT = cloudtrailEndpointHint();

/** CloudTrail for errors' words, its endpoint named by `setting`: the flag, or the SDK's variable that gave it. */
const cloudtrailService = (setting = ENDPOINT_FLAG.CloudTrail): AwsService =>
  ({ name: 'CloudTrail', aws: 'the CloudTrail API', endpointCheck: setting, setting });

function explain(err: unknown, endpoint: ConfiguredEndpoint | undefined): string {
  const e = err as { name?: string; message?: string };
  if (isMissingCredentials(err)) return noCredentials();
  const service = cloudtrailService(endpoint?.setting);
  const notReached = unreachable(err, service, endpoint?.url) ?? notTheService(err, service, endpoint?.url);
  if (notReached) return notReached;
  // The SDK's error names (AccessDeniedException …) say what AWS refused; a plain Error's name says nothing.
  return e?.name && e.name !== 'Error' ? `${e.name}: ${e.message ?? ''}` : (e?.message ?? String(err));
}

const topicName = (arn?: string, name?: string) => (arn ? arn.split(':').pop()! : (name ?? null));

// What a CloudTrail-compatible server may answer and AWS never does (a number for a name, a list that is no list, a
// time past year 9999): the SDK passes it on as it is, and it was a TypeError or RangeError no one could act on. Read
// as absent: a trail without an ARN is no trail, a field so is empty.
const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
const flag = (v: unknown) => (typeof v === 'boolean' ? v : null);
const time = (v: unknown) => (v instanceof Date && v.getTime() >= MIN_TIME && v.getTime() <= MAX_TIME ? v : null);
const objects = <T>(v: unknown) => (Array.isArray(v) ? v.filter((x): x is T => typeof x === 'object' && x !== null) : []);

export async function fetchTrails(options: TrailOptions = {}): Promise<TrailSync> {
  const home = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  // The SDK sends the requests to an AWS_ENDPOINT_URL_CLOUDTRAIL (or the config file's endpoint_url) by itself: known here, errors name it, not AWS's API.
  const endpoint = await configuredEndpoint('CloudTrail', options.endpoint);
  const clients = new Map<string, CloudTrailClient>();
  const client = (region: string) => {
    let c = clients.get(region);
    if (!c) {
      c = new CloudTrailClient({
        region,
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        // The SDK sets no timeout of its own: a hung sync held `trails sync`, and serve's stop, which waits for it. Every
        // call is a small one, answered at once.
        requestHandler: requestHandler(options.idleTimeoutMs, options.answerTimeoutMs ?? ANSWER_TIMEOUT_MS),
      });
      clients.set(region, c);
    }
    return c;
  };
  const warnings: string[] = [];
  try {
    // 1. Every trail and its home region.
    const byRegion = new Map<string, string[]>();
    const listed = new Map<string, TrailInfo>();
    try {
      const pages = pagesByToken(
        (token) => client(home).send(new ListTrailsCommand({ NextToken: token }), { abortSignal: options.signal }),
        (page) => text(page.NextToken),
        `${endpoint ? `the CloudTrail endpoint ${endpoint.url}` : 'the CloudTrail API'} gave one NextToken twice: not as CloudTrail does`
      );
      for await (const page of pages) {
        for (const t of objects<TrailInfo>(page.Trails)) {
          const arn = text(t.TrailARN);
          if (!arn) continue;
          const region = text(t.HomeRegion) ?? home;
          byRegion.set(region, [...(byRegion.get(region) ?? []), arn]);
          listed.set(arn, { ...t, Name: text(t.Name), HomeRegion: text(t.HomeRegion) });
        }
      }
    } catch (err) {
      const name = (err as { name?: string }).name;
      // CloudTrail's words for a key it does not know: "The security token included in the request is invalid".
      const partition = name === 'UnrecognizedClientException' && !endpoint ? otherPartition(home, 'trails') : '';
      if (name !== 'AccessDeniedException') throw new Error(`${explain(err, endpoint)}${partition}`, { cause: err });
      warnings.push(`ListTrails was denied; describing trails in ${[home, ...(options.fallbackRegions ?? [])].join(', ')} only`);
      for (const region of new Set([home, ...(options.fallbackRegions ?? [])])) byRegion.set(region, []);
    }

    // 2. Their configuration, asked in their home region (an empty list there means "all"). With shadow trails: without
    // them DescribeTrails leaves out an organization trail seen from a member account (AWS's API reference).
    const trails = new Map<string, Trail>();
    const describe = async (region: string, arns: string[]) =>
      objects<Trail>(
        (
          await client(region).send(new DescribeTrailsCommand({ ...(arns.length > 0 && { trailNameList: arns }), includeShadowTrails: true }), {
            abortSignal: options.signal,
          })
        ).trailList
      ).filter((t) => text(t.TrailARN));
    const notDescribed = new Set<string>();
    let firstFailure: unknown;
    for (const [region, arns] of byRegion) {
      try {
        for (const t of await describe(region, arns)) if (t.TrailARN && !trails.has(t.TrailARN)) trails.set(t.TrailARN, t);
        // By name, AWS describes the caller's own trails ("current Region and current account"): an organization trail
        // listed in a member account may only be in the Region's whole list.
        const missing = new Set(arns.filter((arn) => !trails.has(arn)));
        if (missing.size > 0) for (const t of await describe(region, [])) if (t.TrailARN && missing.has(t.TrailARN)) trails.set(t.TrailARN, t);
      } catch (err) {
        // One Region that cannot be asked (not enabled for the account, denied by an SCP) does not empty the inventory.
        if (options.signal?.aborted || isMissingCredentials(err)) throw err;
        firstFailure ??= err;
        notDescribed.add(region);
        const optIn = (err as { name?: string }).name === 'UnrecognizedClientException' ? '; a Region not enabled for the account answers so' : '';
        warnings.push(`trails in ${region} not described: ${explain(err, endpoint)}${optIn}`);
      }
    }
    // Described nowhere: a failure, not an empty inventory stored over the one there.
    if (notDescribed.size > 0 && notDescribed.size === byRegion.size) {
      throw new Error(explain(firstFailure, endpoint), { cause: firstFailure });
    }
    // Listed but not described: kept, with what ListTrails says of it (its name and home region).
    for (const [arn, t] of listed) {
      if (trails.has(arn)) continue;
      trails.set(arn, { TrailARN: arn, Name: t.Name, HomeRegion: t.HomeRegion });
      const region = t.HomeRegion ?? home;
      if (notDescribed.has(region)) continue;
      warnings.push(`${t.Name ?? arn}: listed, but DescribeTrails in ${region} did not describe it; kept without its configuration`);
    }

    // 3. Their status; one that cannot be read keeps the trail, with its status unknown.
    const out: TrailRecord[] = [];
    for (const t of trails.values()) {
      let status: GetTrailStatusCommandOutput | undefined;
      try {
        status = await client(text(t.HomeRegion) ?? home).send(new GetTrailStatusCommand({ Name: t.TrailARN }), { abortSignal: options.signal });
      } catch (err) {
        // Stopped: not a trail whose status is unknown, to store as such over the inventory.
        if (options.signal?.aborted) throw err;
        warnings.push(`status of ${t.Name}: ${explain(err, endpoint)}`);
      }
      out.push({
        arn: t.TrailARN!,
        name: text(t.Name) ?? t.TrailARN!,
        homeRegion: text(t.HomeRegion) ?? null,
        s3Bucket: text(t.S3BucketName) ?? null,
        s3KeyPrefix: text(t.S3KeyPrefix) ?? null,
        isLogging: flag(status?.IsLogging),
        includeGlobalServiceEvents: flag(t.IncludeGlobalServiceEvents),
        isMultiRegion: flag(t.IsMultiRegionTrail),
        isOrganizationTrail: flag(t.IsOrganizationTrail),
        loggingStarted: time(status?.StartLoggingTime),
        loggingStopped: time(status?.StopLoggingTime),
        lastDelivery: time(status?.LatestDeliveryTime),
        lastDeliveryError: text(status?.LatestDeliveryError) ?? null,
        lastNotification: time(status?.LatestNotificationTime),
        lastNotificationError: text(status?.LatestNotificationError) ?? null,
        snsTopic: topicName(text(t.SnsTopicARN), text(t.SnsTopicName)),
      });
    }
    return { trails: out.sort((a, b) => a.name.localeCompare(b.name)), warnings };
  } catch (err) {
    // S3 from another server (MinIO, LocalStack) and the trails from AWS: rarely meant, and the error alone (AWS
    // refusing MinIO's keys) did not say which setting was missing.
    const s3 = await configuredEndpoint('S3', options.s3Endpoint);
    if (!s3 || endpoint || options.signal?.aborted) throw err;
    throw new Error(`${messageOf(err)}; ${cloudtrailEndpointHint(s3.setting)}`, { cause: err });
  } finally {
    for (const c of clients.values()) c.destroy();
  }
}

const ts = (d: Date | null) => (d ? d.toISOString().replace('T', ' ').replace('Z', '') : null);

/** Replaces the stored inventory in one transaction. */
export async function storeTrails(db: Database, trails: TrailRecord[]): Promise<void> {
  await db.transaction(async (conn) => {
    await conn.run('DELETE FROM trails');
    for (const t of trails) {
      await conn.run(
        `INSERT INTO trails VALUES ($arn, $name, $home, $bucket, $prefix, $logging, $global, $multi, $org,
           $started::TIMESTAMP, $stopped::TIMESTAMP, $delivery::TIMESTAMP, $deliveryError, $notification::TIMESTAMP,
           $notificationError, $sns, now()::TIMESTAMP)`,
        {
          arn: t.arn, name: t.name, home: t.homeRegion, bucket: t.s3Bucket, prefix: t.s3KeyPrefix, logging: t.isLogging,
          global: t.includeGlobalServiceEvents, multi: t.isMultiRegion, org: t.isOrganizationTrail,
          started: ts(t.loggingStarted), stopped: ts(t.loggingStopped), delivery: ts(t.lastDelivery), deliveryError: t.lastDeliveryError,
          notification: ts(t.lastNotification), notificationError: t.lastNotificationError, sns: t.snsTopic,
        }
      );
    }
  });
}

export async function syncTrails(db: Database, options: TrailOptions = {}): Promise<TrailSync> {
  const result = await fetchTrails(options);
  await storeTrails(db, result.trails);
  return result;
}
