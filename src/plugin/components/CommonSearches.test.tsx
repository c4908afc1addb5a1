// Common Searches: one click fills the Events query from src/model/commonSearches.ts. Lookups are stubbed at
// DataSource.prototype.getResource; the TemplateSrv is a stand-in (no Grafana server here).
import { setTemplateSrv } from '@grafana/runtime';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { DataSource } from '../datasource';
import { fakeTemplateSrv } from '../testing/fakeTemplateSrv';
import { renderQueryEditor } from '../testing/renderQueryEditor';
import { instanceSettings } from '../testing/settings';

beforeEach(() => {
  setTemplateSrv(fakeTemplateSrv({}));
  jest.spyOn(DataSource.prototype, 'getResource').mockImplementation(async (path: string) => ({
    values: path === 'values/user' ? [{ value: 'alice', count: 4 }, { value: 'bob', count: 1 }] : [{ value: '198.51.100.1', count: 2 }],
  }));
});
afterEach(() => jest.restoreAllMocks());

const datasource = () => new DataSource(instanceSettings());
// A query with everything set, to see what a preset keeps and what it replaces.
const busy = {
  refId: 'B',
  format: 'table' as const,
  aggregate: 'day' as const,
  limit: 50,
  status: 'error' as const,
  readOnly: 'read' as const,
  groupBy: 'region' as const,
  resourceId: 'my-bucket',
  filters: { region: ['eu-west-1'], service: ['s3'] },
  exclude: { eventName: ['HeadBucket'] },
};
// Who started an EC2 instance: the launches and starts that happened (neither refused nor dry runs).
const started = { status: 'success', filters: { eventName: ['RunInstances', 'StartInstances'], errorCode: ['(none)'] } };

describe('Common Searches', () => {
  it('lists unauthorized access attempts in one click, keeping how results are shown and clearing what narrowed them', async () => {
    const user = userEvent.setup();
    const { latest, onRunQuery } = renderQueryEditor(datasource(), busy);
    expect(screen.getByLabelText('Event name is not')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Apply: Unauthorized access attempts' }));
    // What the user left out goes with the filters: a refused HeadBucket is an attempt too, as the classic report counts.
    expect(latest()).toEqual({ refId: 'B', format: 'table', aggregate: 'day', limit: 50, queryType: 'events', groupBy: 'user', status: 'unauthorized' });
    expect(screen.queryByLabelText('Event name is not')).not.toBeInTheDocument();
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('takes away the Leave out fields a preset cleared, empty ones too: the editor shows what the query holds', async () => {
    const user = userEvent.setup();
    const { latest } = renderQueryEditor(datasource(), busy);
    // One field added and left empty, one saved and emptied: neither is in the query, both are on screen.
    await user.click(screen.getByRole('combobox', { name: /^Leave out/ }));
    await user.click(await screen.findByRole('option', { name: 'Role' }));
    await user.click(within(screen.getByText('Event name is not', { selector: 'label' }).parentElement!).getByTitle('Clear all'));
    expect(latest().exclude).toEqual({});
    expect(screen.getByLabelText('Role is not')).toBeInTheDocument();
    expect(screen.getByLabelText('Event name is not')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Apply: Unauthorized access attempts' }));
    expect(latest().exclude).toBeUndefined();
    expect(screen.queryByLabelText('Role is not')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Event name is not')).not.toBeInTheDocument();
    // The Leave out box offers every dimension again, and a field added after the preset stays.
    await user.click(screen.getByRole('combobox', { name: /^Leave out/ }));
    await user.click(await screen.findByRole('option', { name: 'Role' }));
    expect(screen.getByLabelText('Role is not')).toHaveFocus();
  });

  it('finds who started an EC2 instance, for the instance id typed', async () => {
    const user = userEvent.setup();
    const { latest } = renderQueryEditor(datasource());
    await user.type(screen.getByRole('textbox', { name: 'Instance ID' }), 'i-0123456789abcdef0');
    await user.click(screen.getByRole('button', { name: 'Apply: Who started an EC2 instance' }));
    expect(latest()).toEqual({ refId: 'A', queryType: 'events', groupBy: 'user', ...started, resourceId: 'i-0123456789abcdef0' });
    // The same model drives the ordinary controls.
    expect(screen.getByLabelText(/^Resource ID/)).toHaveValue('i-0123456789abcdef0');
    expect(screen.getByText('RunInstances')).toBeInTheDocument();
  });

  it('applies on Enter in the instance box, and lists every instance launched or started when it is empty', async () => {
    const user = userEvent.setup();
    const { latest } = renderQueryEditor(datasource());
    await user.type(screen.getByRole('textbox', { name: 'Instance ID' }), '{Enter}');
    expect(latest()).toEqual({ refId: 'A', queryType: 'events', groupBy: 'user', ...started, resourceId: '' });
  });

  it('shows all activity of chosen users', async () => {
    const user = userEvent.setup();
    const { latest } = renderQueryEditor(datasource(), busy);
    const users = screen.getByPlaceholderText('Users');
    await user.click(users);
    await user.click(await screen.findByRole('option', { name: /alice/ }));
    await user.click(await screen.findByRole('option', { name: /bob/ }));
    await user.click(screen.getByRole('button', { name: 'Apply: All activity of chosen IAM users' }));
    expect(latest())
      .toEqual({ refId: 'B', format: 'table', aggregate: 'day', limit: 50, queryType: 'events', groupBy: 'user', filters: { user: ['alice', 'bob'] } });
  });

  it('shows all activity of chosen IP addresses, starting from the ones already filtered', async () => {
    const user = userEvent.setup();
    const { latest } = renderQueryEditor(datasource(), { refId: 'A', filters: { sourceIp: ['203.0.113.7'] } });
    await user.click(screen.getByLabelText(/^All activity of chosen IP addresses/));
    await user.click(await screen.findByRole('option', { name: /198\.51\.100\.1/ }));
    await user.click(screen.getByRole('button', { name: 'Apply: All activity of chosen IP addresses' }));
    expect(latest()).toEqual({ refId: 'A', queryType: 'events', groupBy: 'sourceIp', filters: { sourceIp: ['203.0.113.7', '198.51.100.1'] } });
  });

  it('follows the User filter below it, so Apply never brings back a user taken out since', async () => {
    const user = userEvent.setup();
    const { latest } = renderQueryEditor(datasource(), { refId: 'A', filters: { user: ['alice'] } });
    expect(screen.getAllByText('alice')).toHaveLength(2);
    await user.click(screen.getAllByRole('button', { name: /Remove alice/i }).at(-1)!);
    await user.click(screen.getByLabelText(/^User/));
    await user.click(await screen.findByRole('option', { name: /bob/ }));
    expect(latest().filters).toEqual({ user: ['bob'] });
    await user.click(screen.getByRole('button', { name: 'Apply: All activity of chosen IAM users' }));
    expect(latest().filters).toEqual({ user: ['bob'] });
  });
});
