// Calls made in one account by a role of another, shaped as CloudTrail writes them (the bucket owner's copy of a
// cross-account data event: recipientAccountId the bucket's account, userIdentity the caller's, a sharedEventID),
// beside calls of the recipient account's own role of the same name.
import type { CloudTrailRecord } from './stratus';

/** The account whose bucket is read, and whose log has the calls. */
export const RECIPIENT = '111122223333';
/** The account of the role that reads it from outside. */
export const CALLER = '444455556666';
/** The role's name, the same in both accounts. */
export const ROLE = 'DataPipeline';

/**
 * `count` GetObject calls on RECIPIENT's bucket by ROLE of `roleAccount`, `apartMs` apart from `start`; refused
 * (AccessDenied) or not.
 */
export function roleReads(idPrefix: string, roleAccount: string, count: number, start: string, apartMs: number, refused: boolean): CloudTrailRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const session = `${idPrefix}-run-${i}`;
    return {
      eventVersion: '1.10',
      userIdentity: {
        type: 'AssumedRole',
        principalId: `AROAEXAMPLEDATAPIPE${roleAccount.slice(0, 2)}:${session}`,
        arn: `arn:aws:sts::${roleAccount}:assumed-role/${ROLE}/${session}`,
        accountId: roleAccount,
        accessKeyId: 'ASIAEXAMPLEKEY123456',
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            principalId: `AROAEXAMPLEDATAPIPE${roleAccount.slice(0, 2)}`,
            arn: `arn:aws:iam::${roleAccount}:role/${ROLE}`,
            accountId: roleAccount,
            userName: ROLE,
          },
          attributes: { creationDate: start, mfaAuthenticated: 'false' },
        },
      },
      eventTime: new Date(Date.parse(start) + i * apartMs).toISOString().replace('.000', ''),
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      awsRegion: 'us-east-1',
      sourceIPAddress: '198.51.100.140',
      userAgent: '[aws-sdk-java/2.25.10 Linux/6.1 OpenJDK_64-Bit_Server_VM/17]',
      requestParameters: { bucketName: 'acme-shared-exports', key: `daily/${i}.parquet`, Host: 'acme-shared-exports.s3.us-east-1.amazonaws.com' },
      responseElements: null,
      ...(refused ? { errorCode: 'AccessDenied', errorMessage: 'Access Denied' } : {}),
      requestID: `${idPrefix.toUpperCase()}REQ${i}`,
      eventID: `${idPrefix}-${i}`,
      readOnly: true,
      resources: [
        { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::acme-shared-exports/daily/${i}.parquet` },
        { accountId: RECIPIENT, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::acme-shared-exports' },
      ],
      eventType: 'AwsApiCall',
      managementEvent: false,
      recipientAccountId: RECIPIENT,
      ...(roleAccount !== RECIPIENT ? { sharedEventID: `${idPrefix}-shared-${i}` } : {}),
      eventCategory: 'Data',
    };
  });
}
