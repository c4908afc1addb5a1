// What identifies AWS's answer in an error's chain, with the SDK's own error classes as its calls throw them.
import { NoSuchBucket, S3ServiceException } from '@aws-sdk/client-s3';
import { awsAnswerOf } from './awsErrors';
import { kinded } from './errorKind';

const metadata = { httpStatusCode: 404, requestId: 'TX1', extendedRequestId: 'host-1', attempts: 1, totalRetryDelay: 0 };

test("awsAnswerOf: the SDK's error however deep our words wrap it, with its code, status and request ids", () => {
  const sdk = new NoSuchBucket({ message: 'The specified bucket does not exist', $metadata: metadata });
  const ours = kinded('The bucket logs does not exist (or not in this account/endpoint). Check --source.', 'no-bucket', sdk);
  const answer = { awsError: 'NoSuchBucket', httpStatus: 404, requestId: 'TX1', extendedRequestId: 'host-1' };
  expect(awsAnswerOf(sdk)).toEqual(answer);
  expect(awsAnswerOf(ours)).toEqual(answer);
  expect(awsAnswerOf(new Error('batch 3 failed', { cause: ours }))).toEqual(answer);
  // A code S3 has no class for is an S3ServiceException named by it; ids it did not send are left out.
  const slowDown = new S3ServiceException({
    name: 'SlowDown', $fault: 'server', message: 'Please reduce your request rate.', $metadata: { httpStatusCode: 503 },
  });
  expect(awsAnswerOf(slowDown)).toEqual({ awsError: 'SlowDown', httpStatus: 503 });
});

test('awsAnswerOf: nothing where no AWS service answered', () => {
  // The SDK gives a call that got no answer $metadata too, without an HTTP status.
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED', $metadata: { attempts: 3, totalRetryDelay: 300 } });
  expect(awsAnswerOf(refused)).toBeUndefined();
  expect(awsAnswerOf(new Error('Input is not a GZIP stream'))).toBeUndefined();
  expect(awsAnswerOf('text')).toBeUndefined();
  expect(awsAnswerOf(Object.assign(new Error('odd'), { $metadata: null }))).toBeUndefined();
});
