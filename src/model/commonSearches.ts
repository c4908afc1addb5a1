// The four Common Searches of the classic CloudTrail reports, as values of the one query model.
// Each is an Events query with filters filled in, as the reference report sends you to the Events report.
import { SUCCESS_CODE } from './fieldRules';
import type { TrailhoundQuery } from './query';

export type CommonSearchId = 'ec2-started-by' | 'unauthorized' | 'users-activity' | 'ips-activity';

export interface CommonSearchInputs {
  /** ec2-started-by: one EC2 instance id; empty lists every instance launched or started. */
  instanceId?: string;
  /** users-activity: one or more users. */
  users?: string[];
  /** ips-activity: one or more source IP addresses. */
  ips?: string[];
}

export interface CommonSearch {
  id: CommonSearchId;
  label: string;
  description: string;
  /** Which input the search asks for. */
  input: 'instanceId' | 'users' | 'ips' | 'none';
  query(inputs: CommonSearchInputs): TrailhoundQuery;
}

export const COMMON_SEARCHES: CommonSearch[] = [
  {
    id: 'ec2-started-by',
    label: 'Who started an EC2 instance',
    description: 'Instances launched (RunInstances) or started again (StartInstances), for one instance id or all of them, grouped by user.',
    input: 'instanceId',
    // Only calls that started something: a refused RunInstances started nothing, nor did a dry run, which EC2 answers
    // with the code Client.DryRunOperation (a success otherwise). A stopped instance is started by StartInstances.
    query: ({ instanceId }) => ({
      queryType: 'events',
      groupBy: 'user',
      status: 'success',
      filters: { eventName: ['RunInstances', 'StartInstances'], errorCode: [SUCCESS_CODE] },
      resourceId: instanceId?.trim() ?? '',
    }),
  },
  {
    id: 'unauthorized',
    label: 'Unauthorized access attempts',
    description: 'Calls refused as not authorized (AccessDenied, UnauthorizedOperation, failed sign-ins …), grouped by user.',
    input: 'none',
    query: () => ({ queryType: 'events', groupBy: 'user', status: 'unauthorized' }),
  },
  {
    id: 'users-activity',
    label: 'All activity of chosen IAM users',
    description: 'Every event of the chosen users, grouped by user.',
    input: 'users',
    query: ({ users }) => ({ queryType: 'events', groupBy: 'user', filters: users?.length ? { user: users } : {} }),
  },
  {
    id: 'ips-activity',
    label: 'All activity of chosen IP addresses',
    description: 'Every event from the chosen source IP addresses, grouped by IP address.',
    input: 'ips',
    query: ({ ips }) => ({ queryType: 'events', groupBy: 'sourceIp', filters: ips?.length ? { sourceIp: ips } : {} }),
  },
];

export function commonSearch(id: string): CommonSearch | undefined {
  return COMMON_SEARCHES.find((s) => s.id === id);
}
