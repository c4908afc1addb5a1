// The query editor's controls, each checked through what Grafana would store. Value lookups are stubbed at
// DataSource.prototype.getResource; the TemplateSrv is a stand-in (no Grafana server here).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CoreApp } from '@grafana/data';
import { setTemplateSrv } from '@grafana/runtime';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { GROUP_BYS } from '../../model/query';
import { DataSource } from '../datasource';
import { fakeTemplateSrv } from '../testing/fakeTemplateSrv';
import { GROUP_BYS as GROUP_BY_OPTIONS } from './labels';
import { QueryEditor } from './QueryEditor';
import { RANGE, renderQueryEditor } from '../testing/renderQueryEditor';
import { instanceSettings } from '../testing/settings';
import type { Query } from '../types';

const VALUES: Record<string, Array<{ value: string; count: number }>> = {
  region: [
    { value: 'us-east-1', count: 120 },
    { value: 'eu-west-1', count: 8 },
  ],
  user: [
    { value: 'alice', count: 40 },
    { value: 'bob', count: 2 },
  ],
  sourceIp: [{ value: '203.0.113.7', count: 5 }],
  identityType: [
    { value: 'AssumedRole', count: 90 },
    { value: 'Root', count: 3 },
  ],
  role: [
    { value: 'Deployer', count: 60 },
    { value: '(none)', count: 33 },
    { value: 'AWSReservedSSO_AdministratorAccess_8c9d0e1f2a3b4c5d', count: 30 },
  ],
  permissionSet: [
    { value: '(none)', count: 93 },
    { value: 'AdministratorAccess', count: 30 },
    { value: 'ReadOnly', count: 12 },
  ],
  eventCategory: [
    { value: 'Data', count: 120 },
    { value: 'Management', count: 15 },
  ],
};

let getResource: jest.SpyInstance;

beforeEach(() => {
  setTemplateSrv(fakeTemplateSrv({ region: ['eu-west-1'] }));
  getResource = jest.spyOn(DataSource.prototype, 'getResource').mockImplementation(async (path: string, params?: { q?: string }) => {
    const dimension = path.replace('values/', '');
    const q = params?.q ?? '';
    return { values: (VALUES[dimension] ?? []).filter((v) => v.value.includes(q)) };
  });
});

afterEach(() => jest.restoreAllMocks());

const datasource = () => new DataSource(instanceSettings());
const radio = (group: string, option: string) => within(screen.getByRole('radiogroup', { name: group })).getByRole('radio', { name: option });
/** The exclusion fields' labels, in the order the editor shows them (the Leave out box itself is not one). */
const exclusionFields = () => [...document.querySelectorAll('label[for*="-exclude-"]:not([for$="-exclude-add"])')].map((l) => l.textContent);
/** An editor field, its label and its control, by the label's own text. */
const fieldLabelled = (name: string) => screen.getByText(name, { selector: 'label' }).parentElement!;
/** The first value a multi-value box shows. */
const firstValue = (field: HTMLElement) =>
  within(field).getAllByRole('button', { name: /^Remove (?!the )/ })[0].getAttribute('aria-label')!.replace(/^Remove /, '');

describe('QueryEditor', () => {
  it('says which ad hoc filters Explore opened the query without, until dismissed, without running it again', async () => {
    const user = userEvent.setup();
    const reason = 'ad hoc filter "user =~ adm.*": =~ is not supported: Trailhound matches whole values';
    const query: Query = { refId: 'A', queryType: 'totals', filters: { region: ['eu-west-1'] }, adHocLeftOut: [reason] };
    const { latest, onRunQuery } = renderQueryEditor(datasource(), query);
    const note = screen.getByRole('alert');
    expect(note).toHaveTextContent("Opened without some of the dashboard's ad hoc filters");
    expect(within(note).getByRole('listitem')).toHaveTextContent(reason);
    await user.click(within(note).getByRole('button', { name: /close/i }));
    expect(screen.queryByText(reason)).not.toBeInTheDocument();
    expect(latest()).toEqual({ refId: 'A', queryType: 'totals', filters: { region: ['eu-west-1'] } });
    expect(onRunQuery).not.toHaveBeenCalled();
  });

  it('shows no such note for a query opened with every filter', () => {
    renderQueryEditor(datasource(), { refId: 'A', queryType: 'totals', adHocLeftOut: [] });
    expect(screen.queryByText(/Opened without/)).not.toBeInTheDocument();
  });

  it('switches report type and runs the query', async () => {
    const user = userEvent.setup();
    const { latest, onRunQuery } = renderQueryEditor(datasource());
    expect(radio('Report type', 'Events')).toBeChecked();

    await user.click(radio('Report type', 'Summary totals'));
    expect(latest().queryType).toBe('totals');
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    // Summary totals take filters, but have no format or grouping.
    expect(screen.queryByRole('radiogroup', { name: 'Format' })).not.toBeInTheDocument();
    expect(screen.getByRole('radiogroup', { name: 'Status' })).toBeInTheDocument();
    expect(screen.getByRole('radiogroup', { name: 'AWS service calls' })).toBeInTheDocument();

    await user.click(radio('Report type', 'List of Trails'));
    expect(latest().queryType).toBe('trails');
    expect(screen.getByText(/Every trail with its S3 bucket/)).toBeInTheDocument();
    expect(screen.queryByRole('radiogroup', { name: 'Status' })).not.toBeInTheDocument();

    await user.click(radio('Report type', 'Ingestion'));
    expect(latest().queryType).toBe('ingest');
    expect(screen.getByText(/Ingestion health/)).toBeInTheDocument();
  });

  it("points no field's label at a control that is not there: radio buttons take their name from it instead", () => {
    // What each label[for] names: null where no element has that id (a click on the label then does nothing).
    const targets = () =>
      [...document.querySelectorAll<HTMLLabelElement>('label[for]')].map((l) => [l.textContent, document.getElementById(l.htmlFor)?.tagName ?? null]);
    const views: Query[] = [
      { refId: 'A', format: 'timeseries' },
      { refId: 'A', queryType: 'totals' },
      { refId: 'A', queryType: 'ingest', ingestView: 'errors' },
      // A choice from a dashboard variable: its box is a control the label names.
      { refId: 'A', status: '$status' as Query['status'] },
    ];
    for (const variables of [{}, { status: ['error'] }] as Array<Record<string, string[]>>) {
      setTemplateSrv(fakeTemplateSrv(variables));
      for (const query of views) {
        const { unmount } = renderQueryEditor(datasource(), query);
        expect([query, targets().filter(([, tag]) => tag === null)]).toEqual([query, []]);
        // The radio buttons still have the field's name.
        if (!query.queryType) expect(screen.getByRole('radiogroup', { name: 'Read-only' })).toBeInTheDocument();
        unmount();
      }
    }
    setTemplateSrv(fakeTemplateSrv({ status: ['error'] }));
    renderQueryEditor(datasource(), { refId: 'A', status: '$status' as Query['status'] });
    expect(screen.getByRole('combobox', { name: /^Status/ })).toHaveValue('$status');
  });

  it('says what every field of every report is: a tooltip beside each label', async () => {
    // A field's label is the one before its control, not a radio button's own (whose label is its text).
    const untold = () =>
      [...document.querySelectorAll('label')]
        .filter((l) => !(l.htmlFor && document.getElementById(l.htmlFor)?.matches('input[type="radio"]')))
        .filter((l) => l.querySelector('svg') === null)
        .map((l) => l.textContent);
    const views: Query[] = [
      { refId: 'A', format: 'timeseries' },
      { refId: 'A', format: 'table' },
      { refId: 'A', format: 'list' },
      { refId: 'A', format: 'logs' },
      { refId: 'A', queryType: 'totals' },
      { refId: 'A', queryType: 'trails' },
      { refId: 'A', queryType: 'ingest' },
      { refId: 'A', queryType: 'ingest', ingestView: 'errors' },
    ];
    for (const query of views) {
      const { unmount } = renderQueryEditor(datasource(), query);
      expect([query, untold()]).toEqual([query, []]);
      unmount();
    }
    // Status tells an error from a call refused as not authorized, which the buttons' words alone do not.
    const user = userEvent.setup();
    renderQueryEditor(datasource());
    await user.hover(screen.getByText('Status', { selector: 'label' }).querySelector('svg')!);
    expect(await screen.findByText(/^Error: any call that failed .*Unauthorized: the calls refused as not authorized/)).toBeInTheDocument();
  });

  it('a field\'s tooltip is there by keyboard too: Tab reaches its info icon, which shows it; Escape hides it', async () => {
    // EditorField's info icon has tabIndex 0 (@grafana/plugin-ui 0.13; Grafana's Tooltip also gives its trigger one), and
    // the Tooltip opens on focus (floating-ui's useFocus) and closes on Escape (useDismiss): nothing of ours to add.
    const user = userEvent.setup();
    renderQueryEditor(datasource());
    const icons = [...document.querySelectorAll('label svg')];
    expect(icons.length).toBeGreaterThan(5);
    for (const icon of icons) expect([icon.closest('label')!.textContent, icon.getAttribute('tabindex')]).toEqual([icon.closest('label')!.textContent, '0']);
    const status = screen.getByText('Status', { selector: 'label' }).querySelector('svg')!;
    // Tab by Tab from the page's start, as a keyboard user gets there.
    for (let i = 0; i < 100 && document.activeElement !== status; i++) await user.tab();
    expect(status).toHaveFocus();
    const tooltip = /^Error: any call that failed .*Unauthorized: the calls refused as not authorized/;
    expect(await screen.findByText(tooltip)).toBeInTheDocument();
    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByText(tooltip)).not.toBeInTheDocument());
  });

  it('Summary totals show what the time range applies to, which they count by as the Events report does', async () => {
    const user = userEvent.setup();
    const { latest } = renderQueryEditor(datasource(), { refId: 'A', timeField: 'arrival' });
    await user.click(radio('Report type', 'Summary totals'));
    // Switched from an Events query by arrival time: the totals count by arrival too, and say so.
    expect(latest()).toMatchObject({ queryType: 'totals', timeField: 'arrival' });
    expect(radio('Time', 'Arrival time')).toBeChecked();
    await user.click(radio('Time', 'Event time'));
    expect(latest()).toMatchObject({ queryType: 'totals', timeField: 'event' });
  });

  it('Ingestion shows the status, or the unreadable files with a limit', async () => {
    const user = userEvent.setup();
    const { latest, onRunQuery } = renderQueryEditor(datasource(), { refId: 'A', queryType: 'ingest' });
    // The status by default, without a limit to set.
    expect(radio('Show', 'Status')).toBeChecked();
    expect(screen.queryByLabelText('Limit')).not.toBeInTheDocument();

    await user.click(radio('Show', 'Unreadable files'));
    expect(latest()).toMatchObject({ queryType: 'ingest', ingestView: 'errors' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    expect(screen.getByText(/kept until a later run reads them/)).toBeInTheDocument();
    const limit = screen.getByLabelText('Limit');
    await user.type(limit, '250');
    await user.tab();
    expect(latest()).toMatchObject({ ingestView: 'errors', limit: 250 });

    // Back to the status: the default, left out of the query as an older query has it.
    await user.click(radio('Show', 'Status'));
    expect(latest().ingestView).toBeUndefined();
    expect(screen.getByText(/Ingestion health/)).toBeInTheDocument();
  });

  it('a new query switched to the unreadable files lists their default 100, not the 20 the new query carried', async () => {
    const user = userEvent.setup();
    const ds = datasource();
    const { latest } = renderQueryEditor(ds, { refId: 'A', ...ds.getDefaultQuery(CoreApp.Explore) });
    expect(latest().limit).toBe(20);
    await user.click(radio('Report type', 'Ingestion'));
    await user.click(radio('Show', 'Unreadable files'));
    expect(latest()).toMatchObject({ queryType: 'ingest', ingestView: 'errors' });
    expect(latest().limit).toBeUndefined();
    expect(screen.getByLabelText('Limit')).toHaveAttribute('placeholder', '100');
    // Back to the events: their own default again.
    await user.click(radio('Report type', 'Events'));
    expect(latest().limit).toBeUndefined();
    expect(screen.getByLabelText('Limit')).toHaveAttribute('placeholder', '20');
  });

  it('offers an alert rule only the reports and views with numbers to evaluate, and still shows a list the query already has', async () => {
    const user = userEvent.setup();
    const ds = datasource();
    const options = (group: string) =>
      within(screen.getByRole('radiogroup', { name: group }))
        .getAllByRole<HTMLInputElement>('radio')
        .map((r) => r.labels?.[0]?.textContent);
    const alerting = renderQueryEditor(ds, { refId: 'A', ...ds.getDefaultQuery(CoreApp.UnifiedAlerting) }, QueryEditor, CoreApp.UnifiedAlerting);
    // An event list, log lines, the trails and the unreadable files have no number column: an alert rule on one fails to evaluate.
    expect(options('Report type')).toEqual(['Events', 'Summary totals', 'Ingestion']);
    expect(options('Format')).toEqual(['Time series', 'Table']);
    await user.click(radio('Report type', 'Ingestion'));
    expect(options('Show')).toEqual(['Status']);
    alerting.unmount();

    // A rule saved with one before keeps showing it, so the editor says what the rule runs.
    const saved = renderQueryEditor(ds, { refId: 'A', format: 'list' }, QueryEditor, CoreApp.UnifiedAlerting);
    expect(options('Format')).toEqual(['Time series', 'Table', 'Event list']);
    expect(radio('Format', 'Event list')).toBeChecked();
    saved.unmount();
    const logs = renderQueryEditor(ds, { refId: 'A', format: 'logs' }, QueryEditor, CoreApp.UnifiedAlerting);
    expect(options('Format')).toEqual(['Time series', 'Table', 'Log lines']);
    logs.unmount();

    // Elsewhere every choice stays.
    renderQueryEditor(ds, { refId: 'A', queryType: 'ingest' }, QueryEditor, CoreApp.PanelEditor);
    expect(options('Report type')).toEqual(['Events', 'Summary totals', 'List of Trails', 'Ingestion']);
    expect(options('Show')).toEqual(['Status', 'Unreadable files']);
  });

  it('a limit of its own is kept across a switch of report or view', async () => {
    const user = userEvent.setup();
    const { latest } = renderQueryEditor(datasource(), { refId: 'A', format: 'table', limit: 50 });
    await user.click(radio('Report type', 'Ingestion'));
    await user.click(radio('Show', 'Unreadable files'));
    expect(latest()).toMatchObject({ ingestView: 'errors', limit: 50 });
  });

  it('a saved unreadable-files query opens with its choice and limit', () => {
    renderQueryEditor(datasource(), { refId: 'A', queryType: 'ingest', ingestView: 'errors', limit: 500 });
    expect(radio('Show', 'Unreadable files')).toBeChecked();
    expect(screen.getByLabelText('Limit')).toHaveValue('500');
  });

  it("shows a saved query's exclusions as fields of their own, in the Events and Summary totals views, and keeps them through every change", async () => {
    const user = userEvent.setup();
    // As the failed-authorization rule sets them, with a second value and a dimension of the newer ones.
    const exclude = { sourceIp: ['delivery.logs.amazonaws.com'], eventName: ['HeadBucket', 'GetBucketAcl'], eventCategory: ['Data'] };
    const { latest } = renderQueryEditor(datasource(), { refId: 'A', status: 'unauthorized', exclude });
    // In the query's order, each with its values; the filters of the same dimensions stay empty.
    expect(exclusionFields()).toEqual(['IP address is not', 'Event name is not', 'Event category is not']);
    // Each shows its first value (jsdom measures no width, so the others are counted: "1" more).
    const shown = () => [fieldLabelled('IP address is not'), fieldLabelled('Event name is not'), fieldLabelled('Event category is not')].map(firstValue);
    const values = ['delivery.logs.amazonaws.com', 'HeadBucket', 'Data'];
    expect(shown()).toEqual(values);
    expect(within(fieldLabelled('Event name')).queryByText('HeadBucket')).not.toBeInTheDocument();
    await user.click(radio('Status', 'Error'));
    expect(latest()).toMatchObject({ status: 'error', exclude });
    // A filter picked, a report type changed and back: the exclusions stay, and so do their fields.
    await user.click(screen.getByLabelText(/^Event category(?! is not)/));
    await user.click(await screen.findByRole('option', { name: /^Management/ }));
    expect(latest()).toMatchObject({ filters: { eventCategory: ['Management'] }, exclude });
    await user.click(radio('Report type', 'Summary totals'));
    expect(shown()).toEqual(values);
    await user.click(radio('Report type', 'List of Trails'));
    expect(exclusionFields()).toEqual([]);
    await user.click(radio('Report type', 'Events'));
    expect(latest()).toMatchObject({ queryType: 'events', exclude });
    expect(shown()).toEqual(values);
    // A saved exclusion emptied keeps its field for other values; the query keeps no empty list.
    await user.click(within(fieldLabelled('Event category is not')).getByTitle('Clear all'));
    expect(latest().exclude).toEqual({ sourceIp: ['delivery.logs.amazonaws.com'], eventName: ['HeadBucket', 'GetBucketAcl'] });
    expect(exclusionFields()).toEqual(['IP address is not', 'Event name is not', 'Event category is not']);
  });

  it('shows no exclusion a query does not have, or whose lists are empty: one Leave out box offering every dimension', async () => {
    const user = userEvent.setup();
    renderQueryEditor(datasource(), { refId: 'A', exclude: { eventName: [], user: [''], role: [' '] } });
    expect(exclusionFields()).toEqual([]);
    await user.click(screen.getByRole('combobox', { name: /^Leave out/ }));
    expect((await screen.findAllByRole('option')).map((o) => o.textContent)).toEqual([
      'Region', 'Service', 'Event name', 'User', 'IP address', 'Account', 'Error code', 'Identity type', 'Role', 'Permission set', 'Event category',
    ]);
  });

  it('empties the Leave out box after a pick, clicked or typed: the dimension picked is a field of its own, no longer a choice of the box', async () => {
    const user = userEvent.setup();
    renderQueryEditor(datasource());
    const add = () => screen.getByRole('combobox', { name: /^Leave out/ });
    await user.click(add());
    await user.click(await screen.findByRole('option', { name: 'Region' }));
    expect(exclusionFields()).toEqual(['Region is not']);
    expect(add()).toHaveValue('');
    expect(add()).toHaveAttribute('placeholder', 'Add exclusion');
    await user.click(add());
    await user.keyboard('Servi');
    await screen.findByRole('option', { name: 'Service' });
    await user.keyboard('{Enter}');
    expect(exclusionFields()).toEqual(['Region is not', 'Service is not']);
    expect(add()).toHaveValue('');
    // The new field has the focus, to pick its values.
    expect(screen.getByLabelText('Service is not')).toHaveFocus();
  });

  it('leaves out values picked as in a filter: the values that exist, typed ones and dashboard variables; removes a value and the exclusion', async () => {
    setTemplateSrv(fakeTemplateSrv({ users: ['alice', 'bob'] }));
    const user = userEvent.setup();
    const { latest, onChange, onRunQuery } = renderQueryEditor(datasource());
    await user.click(screen.getByRole('combobox', { name: /^Leave out/ }));
    await user.click(await screen.findByRole('option', { name: 'User' }));
    // A field without values yet: nothing is stored or run until a value is picked. It has the focus, to pick one.
    expect(exclusionFields()).toEqual(['User is not']);
    const users = screen.getByLabelText('User is not');
    expect(users).toHaveFocus();
    expect(onChange).not.toHaveBeenCalled();
    await user.click(users);
    const alice = await screen.findByRole('option', { name: /alice/ });
    expect(alice).toHaveTextContent('40 events');
    expect(getResource).toHaveBeenLastCalledWith('values/user', { from: RANGE.from.valueOf(), to: RANGE.to.valueOf() });
    await user.click(alice);
    expect(latest()).toEqual({ refId: 'A', exclude: { user: ['alice'] } });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    await user.click(await screen.findByRole('option', { name: /\$users/ }));
    await user.clear(users);
    await user.type(users, 'svc-backup ');
    await user.click(await screen.findByRole('option', { name: /svc-backup/ }));
    expect(latest().exclude).toEqual({ user: ['alice', '$users', 'svc-backup '] });
    expect(latest().filters).toBeUndefined();
    // The Leave out box no longer offers User; a second dimension comes after it.
    await user.click(screen.getByRole('combobox', { name: /^Leave out/ }));
    expect(screen.queryByRole('option', { name: 'User' })).not.toBeInTheDocument();
    await user.click(await screen.findByRole('option', { name: 'Event name' }));
    expect(exclusionFields()).toEqual(['User is not', 'Event name is not']);

    await user.click(screen.getByRole('button', { name: /Remove alice/i }));
    expect(latest().exclude).toEqual({ user: ['$users', 'svc-backup '] });
    // Emptied, the field stays for other values; the query keeps no empty list.
    await user.click(within(fieldLabelled('User is not')).getByTitle('Clear all'));
    expect(latest().exclude).toEqual({});
    expect(exclusionFields()).toEqual(['User is not', 'Event name is not']);
    const names = screen.getByLabelText('Event name is not');
    await user.type(names, 'HeadBucket');
    await user.click(await screen.findByRole('option', { name: /HeadBucket/ }));
    expect(latest().exclude).toEqual({ eventName: ['HeadBucket'] });
    // Removed: its field goes, and so does what it left out.
    await user.click(screen.getByRole('button', { name: 'Remove the Event name exclusion' }));
    expect(latest().exclude).toEqual({});
    expect(exclusionFields()).toEqual(['User is not']);
    // The trash button is gone: the focus goes to the Leave out box, not back to the page's start.
    expect(screen.getByRole('combobox', { name: /^Leave out/ })).toHaveFocus();
    const changes = onChange.mock.calls.length;
    await user.click(screen.getByRole('button', { name: 'Remove the User exclusion' }));
    expect(exclusionFields()).toEqual([]);
    // It had no values: the query was already without it.
    expect(onChange).toHaveBeenCalledTimes(changes);
  });
  it('shows what the query holds after it is replaced from outside: a Leave out field added but still empty goes', async () => {
    const user = userEvent.setup();
    const { latest, replace } = renderQueryEditor(datasource(), { refId: 'A', exclude: { eventName: ['HeadBucket'] } });
    await user.click(screen.getByRole('combobox', { name: /^Leave out/ }));
    await user.click(await screen.findByRole('option', { name: 'User' }));
    // The editor's own changes keep it: it waits for its values.
    await user.click(radio('Status', 'Error'));
    await user.click(screen.getByRole('button', { name: 'Remove the Event name exclusion' }));
    expect(exclusionFields()).toEqual(['User is not']);
    expect(latest()).toEqual({ refId: 'A', status: 'error', exclude: {} });

    // Grafana passing the query back with what it keeps on it (the data source, the row's key) has not replaced it.
    replace({ ...latest(), datasource: { type: 'trailhound-cloudtrail-datasource', uid: 'th' }, key: 'Q-1', hide: false } as Query);
    expect(exclusionFields()).toEqual(['User is not']);
    // A query from history, with exclusions of its own: they show, and nothing else.
    replace({ refId: 'A', exclude: { sourceIp: ['203.0.113.7'] } });
    expect(exclusionFields()).toEqual(['IP address is not']);
    // The JSON edited (or an undo) to a query without exclusions, the status alone changed: no field is left over.
    await user.click(screen.getByRole('combobox', { name: /^Leave out/ }));
    await user.click(await screen.findByRole('option', { name: 'Region' }));
    expect(exclusionFields()).toEqual(['IP address is not', 'Region is not']);
    replace({ refId: 'A', status: 'unauthorized', exclude: { sourceIp: ['203.0.113.7'] } });
    expect(exclusionFields()).toEqual(['IP address is not']);
    expect(radio('Status', 'Unauthorized')).toBeChecked();
    // In the Summary totals too.
    await user.click(radio('Report type', 'Summary totals'));
    await user.click(screen.getByRole('combobox', { name: /^Leave out/ }));
    await user.click(await screen.findByRole('option', { name: 'Account' }));
    expect(exclusionFields()).toEqual(['IP address is not', 'Account is not']);
    replace({ refId: 'A', queryType: 'totals' });
    expect(exclusionFields()).toEqual([]);
    // A field added after the replacement still takes its values.
    await user.click(screen.getByRole('combobox', { name: /^Leave out/ }));
    await user.click(await screen.findByRole('option', { name: 'User' }));
    await user.click(screen.getByLabelText('User is not'));
    await user.click(await screen.findByRole('option', { name: /alice/ }));
    expect(latest()).toEqual({ refId: 'A', queryType: 'totals', exclude: { user: ['alice'] } });
    expect(exclusionFields()).toEqual(['User is not']);
  });

  it('sets format, aggregate, time, status, read-only, MFA and AWS service calls', async () => {
    const user = userEvent.setup();
    const { latest, onRunQuery } = renderQueryEditor(datasource());
    expect(radio('Format', 'Time series')).toBeChecked();
    expect(radio('Aggregate', 'Auto')).toBeChecked();

    await user.click(radio('Aggregate', 'Day'));
    expect(latest().aggregate).toBe('day');
    expect(radio('Time', 'Event time')).toBeChecked();
    await user.click(radio('Time', 'Arrival time'));
    expect(latest().timeField).toBe('arrival');
    await user.click(radio('Status', 'Unauthorized'));
    expect(latest().status).toBe('unauthorized');
    await user.click(radio('Read-only', 'Write'));
    expect(latest().readOnly).toBe('write');
    expect(radio('MFA', 'All')).toBeChecked();
    await user.click(radio('MFA', 'Not used'));
    expect(latest().mfa).toBe('notUsed');
    expect(radio('AWS service calls', 'Include')).toBeChecked();
    await user.click(radio('AWS service calls', 'Exclude'));
    expect(latest().serviceCalls).toBe('exclude');

    await user.click(radio('Format', 'Table'));
    expect(latest().format).toBe('table');
    // Aggregate only matters for time series.
    expect(screen.queryByRole('radiogroup', { name: 'Aggregate' })).not.toBeInTheDocument();

    await user.click(radio('Format', 'Event list'));
    expect(latest().format).toBe('list');
    // An event list is not grouped.
    expect(screen.queryByRole('combobox', { name: 'Group by' })).not.toBeInTheDocument();
    // Every report of events can count by arrival, the list too (latest arrivals first).
    expect(radio('Time', 'Arrival time')).toBeChecked();
    expect(onRunQuery).toHaveBeenCalledTimes(8);
    expect(latest()).toEqual({
      refId: 'A', aggregate: 'day', timeField: 'arrival', status: 'unauthorized', readOnly: 'write', mfa: 'notUsed', serviceCalls: 'exclude', format: 'list',
    });

    // Log lines are the same events, for the Logs view: not grouped either, every filter kept.
    await user.click(radio('Format', 'Log lines'));
    expect(screen.queryByRole('combobox', { name: 'Group by' })).not.toBeInTheDocument();
    expect(latest()).toEqual({
      refId: 'A', aggregate: 'day', timeField: 'arrival', status: 'unauthorized', readOnly: 'write', mfa: 'notUsed', serviceCalls: 'exclude', format: 'logs',
    });
  });

  it('picks what to group by', async () => {
    const user = userEvent.setup();
    const { latest } = renderQueryEditor(datasource());
    const groupBy = screen.getByRole('combobox', { name: 'Group by' });
    expect(groupBy).toHaveValue('User');
    await user.click(groupBy);
    await user.click(await screen.findByRole('option', { name: 'Event name' }));
    expect(latest().groupBy).toBe('eventName');
  });

  it('offers every way to group of the query model, the pair of user and account among them', async () => {
    const user = userEvent.setup();
    const { latest } = renderQueryEditor(datasource());
    // Each of the model's groupBy values has its label, once.
    expect(GROUP_BY_OPTIONS.map((o) => o.value).sort()).toEqual([...GROUP_BYS].sort());
    await user.click(screen.getByRole('combobox', { name: 'Group by' }));
    // The choices in order, each with its description, then the dashboard's variables; jsdom draws no scrolled rows, so
    // the rows drawn are the first ones, and the last choice is searched for.
    const labels = GROUP_BY_OPTIONS.map((o) => o.label + (o.description ?? ''));
    const offered = (await screen.findAllByRole('option')).map((o) => o.textContent);
    expect(offered.length).toBeGreaterThan(10);
    expect(offered.slice(0, GROUP_BY_OPTIONS.length)).toEqual(labels.slice(0, offered.length));
    await user.keyboard('Nothing');
    await waitFor(() => expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual([labels.at(-1)]));
    await user.clear(screen.getByRole('combobox', { name: 'Group by' }));
    expect(offered).toContain('User and accountA user (or role) of the same name in another account is a group of its own');
    await user.click(await screen.findByRole('option', { name: /^User and account/ }));
    expect(latest().groupBy).toBe('userAndAccount');
    expect(screen.getByRole('combobox', { name: 'Group by' })).toHaveValue('User and account');
  });

  it("shows and keeps choices that come from dashboard variables, as the Events dashboard's panels have them", async () => {
    const dashboard = JSON.parse(readFileSync(path.join(__dirname, '../../../dashboards/cloudtrail-events.json'), 'utf8'));
    const panel = dashboard.panels.find((p: { title?: string }) => p.title?.startsWith('Events over time'));
    setTemplateSrv(fakeTemplateSrv({ groupBy: 'user', aggregate: 'auto', status: 'all', readOnly: 'all', mfa: 'all', serviceCalls: 'include' }));
    const user = userEvent.setup();
    const { latest, onChange } = renderQueryEditor(datasource(), panel.targets[0]);
    expect(screen.getByRole('combobox', { name: 'Group by' })).toHaveValue('$groupBy');
    const chosen = [['Aggregate', '$aggregate'], ['Status', '$status'], ['Read-only', '$readOnly'], ['MFA', '$mfa'], ['AWS service calls', '$serviceCalls']];
    for (const [label, variable] of chosen) {
      expect(screen.getByRole('combobox', { name: label })).toHaveValue(variable);
    }
    // Format is not templated there: still radio buttons.
    expect(radio('Format', 'Time series')).toBeChecked();
    // Every filter holds its variable.
    const filters = [
      ['Region', '$region'], ['Service', '$service'], ['Event name', '$eventName'], ['User', '$user'], ['IP address', '$sourceIp'], ['Account', '$account'],
      ['Error code', '$errorCode'], ['Identity type', '$identityType'], ['Role', '$role'], ['Permission set', '$permissionSet'],
      ['Event category', '$eventCategory'],
    ];
    for (const [label, variable] of filters) {
      expect(within(screen.getByText(label, { selector: 'label' }).parentElement!).getByText(variable)).toBeInTheDocument();
    }
    expect(onChange).not.toHaveBeenCalled();

    // A choice replaces the variable; a variable can be chosen back.
    await user.click(screen.getByRole('combobox', { name: 'Status' }));
    await user.click(await screen.findByRole('option', { name: 'Unauthorized' }));
    expect(latest().status).toBe('unauthorized');
    expect(radio('Status', 'Unauthorized')).toBeChecked();
    await user.click(screen.getByRole('combobox', { name: 'Group by' }));
    await user.click(await screen.findByRole('option', { name: 'Service' }));
    expect(latest().groupBy).toBe('service');
    // Searched for: the list shows its first options only (jsdom draws no scrolled rows), and the variables come last.
    await user.click(screen.getByRole('combobox', { name: 'Group by' }));
    await user.keyboard('$group');
    await user.click(await screen.findByRole('option', { name: /\$groupBy/ }));
    expect(latest().groupBy).toBe('$groupBy');
  });

  it("shows an old-style [[variable]] choice as the variable, and a filter stored as one string as that value", () => {
    renderQueryEditor(datasource(), { refId: 'A', status: '[[status]]', filters: { region: 'eu-west-1' } } as unknown as Query);
    expect(screen.getByRole('combobox', { name: 'Status' })).toHaveValue('[[status]]');
    expect(screen.getByText('eu-west-1')).toBeInTheDocument();
  });

  it("opens a panel's JSON edited by hand whose filters hold what is not text, showing the values it can edit", async () => {
    // A null, a number or an object in a list, or a list that is no list: the editor threw ("Objects are not valid as
    // a React child", "v.trim is not a function"), and the panel's editor could not be opened to fix it.
    const query = {
      refId: 'A', groupBy: 'user',
      filters: { user: ['alice', null, { a: 1 }], region: 12, sourceIp: ['203.0.113.7', 5] },
      exclude: { user: [null, 'bob'], eventName: {} },
    } as unknown as Query;
    const user = userEvent.setup();
    const { latest } = renderQueryEditor(datasource(), query);
    expect(firstValue(fieldLabelled('User'))).toBe('alice');
    expect(firstValue(fieldLabelled('IP address'))).toBe('203.0.113.7');
    expect(exclusionFields()).toEqual(['User is not']);
    // An edit of a field stores its values as shown, text; the fields not edited stay as they were, for the service's error.
    await user.click(within(fieldLabelled('User')).getByRole('button', { name: 'Remove alice' }));
    expect(latest().filters).toEqual({ region: 12, sourceIp: ['203.0.113.7', 5] });
  });

  it('offers a way back from a choice to a dashboard variable', async () => {
    setTemplateSrv(fakeTemplateSrv({ status: 'error' }));
    const user = userEvent.setup();
    const { latest } = renderQueryEditor(datasource());
    expect(radio('Status', 'All')).toBeChecked();
    await user.click(screen.getByRole('button', { name: 'Use a dashboard variable for Status' }));
    const status = screen.getByRole('combobox', { name: 'Status' });
    await user.click(status);
    await user.click(await screen.findByRole('option', { name: /\$status/ }));
    expect(latest().status).toBe('$status');
    expect(screen.getByRole('combobox', { name: 'Status' })).toHaveValue('$status');
  });

  it('hands the focus to the variable box its "$" button opens, so a keyboard can pick in it', async () => {
    setTemplateSrv(fakeTemplateSrv({ status: 'error' }));
    const user = userEvent.setup();
    const { latest } = renderQueryEditor(datasource());
    // In act: the focus shows the button's tooltip, a state update.
    act(() => screen.getByRole('button', { name: 'Use a dashboard variable for Status' }).focus());
    await user.keyboard('{Enter}');
    expect(screen.getByRole('combobox', { name: 'Status' })).toHaveFocus();
    // The box shows the choice, All: select it and type over it.
    // Pasted and waited for, as below.
    await user.keyboard('{Control>}a{/Control}');
    await user.paste('$stat');
    await waitFor(() => {
      expect(screen.getByRole('option', { name: /\$status/ })).toBeInTheDocument();
      expect(screen.queryByRole('option', { name: 'Error' })).toBeNull();
    });
    await user.keyboard('{ArrowDown}{Enter}');
    expect(latest().status).toBe('$status');
  });

  it('hands the focus back to the buttons when a choice, not a variable, is picked in the box', async () => {
    setTemplateSrv(fakeTemplateSrv({ status: 'error' }));
    const user = userEvent.setup();
    const { latest, replace } = renderQueryEditor(datasource(), { refId: 'A', status: '$status' } as unknown as Query);
    // The box, which had the focus, gives way to the buttons: the chosen one takes it, not the page's start.
    await user.click(screen.getByRole('combobox', { name: 'Status' }));
    await user.click(await screen.findByRole('option', { name: 'Error' }));
    expect(latest().status).toBe('error');
    expect(radio('Status', 'Error')).toHaveFocus();
    // Opened by "$" and left the same way.
    await act(async () => screen.getByRole('button', { name: 'Use a dashboard variable for Status' }).focus());
    await user.keyboard('{Enter}');
    // Pasted, not typed: the box loads its list 200 ms after the last change, so on a slow machine each typed key could
    // load one, and a list that came after the pick reset its highlight (nothing was picked). Then waited for, filtered.
    await user.keyboard('{Control>}a{/Control}');
    await user.paste('Unauth');
    await waitFor(() => {
      expect(screen.getByRole('option', { name: 'Unauthorized' })).toBeInTheDocument();
      expect(screen.queryByRole('option', { name: 'Error' })).toBeNull();
    });
    await user.keyboard('{ArrowDown}{Enter}');
    expect(latest().status).toBe('unauthorized');
    expect(radio('Status', 'Unauthorized')).toHaveFocus();
    // Only then: a query replaced from outside, to a variable and back, takes no focus from where it is.
    act(() => radio('Time', 'Arrival time').focus());
    replace({ refId: 'A', status: '$status' } as unknown as Query);
    replace({ refId: 'A', status: 'error' });
    expect(radio('Status', 'Error')).toBeChecked();
    expect(radio('Time', 'Arrival time')).toHaveFocus();
  });

  it('closes the variable box without a choice: Escape hands the focus back to the "$" button, which closes it too', async () => {
    setTemplateSrv(fakeTemplateSrv({ status: 'error' }));
    const user = userEvent.setup();
    const { onChange } = renderQueryEditor(datasource());
    // Grafana's own Escape (leave the panel editor) listens on the document: the box's Escape must not reach it.
    const grafanaEscape = jest.fn();
    const listener = (e: KeyboardEvent) => e.key === 'Escape' && grafanaEscape();
    document.addEventListener('keydown', listener);
    try {
      const dollar = screen.getByRole('button', { name: 'Use a dashboard variable for Status' });
      expect(dollar).toHaveAttribute('aria-pressed', 'false');
      act(() => dollar.focus());
      await user.keyboard('{Enter}');
      expect(screen.getByRole('combobox', { name: 'Status' })).toHaveFocus();
      expect(dollar).toHaveAttribute('aria-pressed', 'true');
      // The first Escape closes the list, the box stays; the second closes the box.
      await user.keyboard('{Control>}a{/Control}$stat');
      await screen.findByRole('option', { name: /\$status/ });
      await user.keyboard('{Escape}');
      expect(screen.queryByRole('option')).not.toBeInTheDocument();
      expect(screen.getByRole('combobox', { name: 'Status' })).toHaveFocus();
      await user.keyboard('{Escape}');
      expect(screen.queryByRole('combobox', { name: 'Status' })).not.toBeInTheDocument();
      expect(radio('Status', 'All')).toBeChecked();
      expect(screen.getByRole('button', { name: 'Use a dashboard variable for Status' })).toHaveFocus();
      expect(dollar).toHaveAttribute('aria-pressed', 'false');
      expect(grafanaEscape).not.toHaveBeenCalled();
      // By mouse: the "$" button opens the box and closes it again.
      await user.click(dollar);
      expect(screen.getByRole('combobox', { name: 'Status' })).toHaveFocus();
      await user.click(dollar);
      expect(screen.queryByRole('combobox', { name: 'Status' })).not.toBeInTheDocument();
      expect(radio('Status', 'All')).toBeChecked();
      expect(dollar).toHaveFocus();
      expect(onChange).not.toHaveBeenCalled();
    } finally {
      document.removeEventListener('keydown', listener);
    }
  });

  it('leaves a variable in its box on Escape: the buttons cannot show it', async () => {
    setTemplateSrv(fakeTemplateSrv({ status: 'error' }));
    const user = userEvent.setup();
    const { onChange } = renderQueryEditor(datasource(), { refId: 'A', status: '$status' } as unknown as Query);
    await user.click(screen.getByRole('combobox', { name: 'Status' }));
    await user.keyboard('{Escape}{Escape}');
    expect(screen.getByRole('combobox', { name: 'Status' })).toHaveValue('$status');
    expect(screen.queryByRole('button', { name: 'Use a dashboard variable for Status' })).not.toBeInTheDocument();
    expect(onChange).not.toHaveBeenCalled();
  });

  it('shows no variable button on a dashboard without variables', () => {
    setTemplateSrv(fakeTemplateSrv({}));
    renderQueryEditor(datasource());
    expect(radio('Status', 'All')).toBeChecked();
    expect(screen.queryByRole('button', { name: /Use a dashboard variable/ })).not.toBeInTheDocument();
  });

  it('takes a resource id and a limit when the box is left', async () => {
    const user = userEvent.setup();
    const { latest, onRunQuery } = renderQueryEditor(datasource());
    const resource = screen.getByLabelText(/^Resource ID/);
    await user.type(resource, ' i-0abc ');
    expect(onRunQuery).not.toHaveBeenCalled();
    await user.tab();
    expect(latest().resourceId).toBe('i-0abc');
    // Spaces alone are no change: nothing stored, nothing run.
    await user.clear(resource);
    await user.type(resource, '   ');
    await user.tab();
    expect(latest().resourceId).toBe('');
    const runs = onRunQuery.mock.calls.length;
    await user.type(resource, '  ');
    await user.tab();
    expect(onRunQuery).toHaveBeenCalledTimes(runs);

    const limit = screen.getByLabelText('Limit');
    await user.type(limit, '50{Enter}');
    expect(latest().limit).toBe(50);
    await user.clear(limit);
    await user.tab();
    expect(latest().limit).toBeUndefined();
    expect(onRunQuery).toHaveBeenCalledTimes(4);

    // Not a limit: the box shows the default again and the query does not run for nothing.
    await user.type(limit, '0');
    await user.tab();
    expect(limit).toHaveValue('');
    expect(latest().limit).toBeUndefined();
    expect(onRunQuery).toHaveBeenCalledTimes(4);
  });

  it('shows what is typed in a number box until it is left, then what the query took: text it cannot read gives way to the default', async () => {
    const user = userEvent.setup();
    const { latest } = renderQueryEditor(datasource(), { refId: 'A', limit: 50 });
    const limit = screen.getByLabelText('Limit');
    expect(limit).toHaveValue('50');
    await user.clear(limit);
    // A number box reports text it cannot read as empty, as a browser's does, and a browser's keeps showing it.
    await user.type(limit, '1e400');
    expect(limit).toHaveValue('1e400');
    await user.tab();
    expect(latest().limit).toBeUndefined();
    expect(limit).toHaveValue('');
    expect(limit).toHaveAttribute('placeholder', '20');
    const peak = screen.getByLabelText('Peak window (min)');
    await user.type(peak, '12 min');
    expect(peak).toHaveValue('12 min');
    await user.tab();
    expect(latest().peakWindow).toBeUndefined();
    expect(peak).toHaveValue('');
  });

  it('takes a peak window in minutes for a time series or a table, not for an event list', async () => {
    const user = userEvent.setup();
    const { latest, onRunQuery } = renderQueryEditor(datasource());
    const peak = screen.getByLabelText('Peak window (min)');
    // Its tooltip says what a peak counts, in the user's words.
    const label = screen.getByText('Peak window (min)').closest('label')!;
    await user.hover(label.querySelector('svg')!);
    expect(await screen.findByText(/the most events of one group made within this many minutes of each other/)).toBeInTheDocument();
    // Empty: plain counts, and nothing stored.
    expect(peak).toHaveValue('');
    expect(latest().peakWindow).toBeUndefined();
    await user.type(peak, '30{Enter}');
    expect(latest().peakWindow).toBe(30);
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    // More than a day is a day; 0 or nothing is plain counts again.
    await user.clear(peak);
    await user.type(peak, '5000');
    await user.tab();
    expect(latest().peakWindow).toBe(1440);
    await user.clear(peak);
    await user.type(peak, '0');
    await user.tab();
    expect(latest().peakWindow).toBeUndefined();
    expect(peak).toHaveValue('');

    await user.click(radio('Format', 'Table'));
    expect(screen.getByLabelText('Peak window (min)')).toBeInTheDocument();
    await user.click(radio('Format', 'Event list'));
    expect(screen.queryByLabelText('Peak window (min)')).not.toBeInTheDocument();
    await user.click(radio('Format', 'Log lines'));
    expect(screen.queryByLabelText('Peak window (min)')).not.toBeInTheDocument();
  });

  it("gives each query's controls their own ids, so labels find the right query's control", async () => {
    const user = userEvent.setup();
    const a = renderQueryEditor(datasource(), { refId: 'A' });
    const b = renderQueryEditor(datasource(), { refId: 'B' });
    const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);
    expect(ids.length).toBeGreaterThan(10);
    expect(new Set(ids).size).toBe(ids.length);
    await user.type(within(b.container).getByLabelText(/^Resource ID/), 'i-0b{Enter}');
    expect(b.latest().resourceId).toBe('i-0b');
    expect(a.onChange).not.toHaveBeenCalled();
  });

  it('offers the values that exist in the time range and stores the picked ones', async () => {
    const user = userEvent.setup();
    const { latest } = renderQueryEditor(datasource());
    await user.click(screen.getByLabelText(/^Region/));
    const option = await screen.findByRole('option', { name: /eu-west-1/ });
    expect(getResource).toHaveBeenCalledWith('values/region', { from: RANGE.from.valueOf(), to: RANGE.to.valueOf() });
    // The count tells how common a value is.
    expect(screen.getByText('120 events')).toBeInTheDocument();
    await user.click(option);
    expect(latest().filters).toEqual({ region: ['eu-west-1'] });
  });

  it("offers the values by the query's own time field, a dashboard variable's included", async () => {
    setTemplateSrv(fakeTemplateSrv({ timeField: 'arrival' }));
    const user = userEvent.setup();
    const range = { from: RANGE.from.valueOf(), to: RANGE.to.valueOf() };
    renderQueryEditor(datasource(), { refId: 'A', timeField: '$timeField' } as unknown as Query);
    await user.click(screen.getByLabelText(/^Region/));
    await screen.findByRole('option', { name: /eu-west-1/ });
    expect(getResource).toHaveBeenLastCalledWith('values/region', { ...range, timeField: 'arrival' });
    await user.keyboard('{Escape}');

    // The query switched to event time: so are its suggestions.
    await user.click(screen.getByRole('combobox', { name: 'Time' }));
    await user.click(await screen.findByRole('option', { name: /^Event time/ }));
    await user.click(screen.getByLabelText(/^User/));
    await screen.findByRole('option', { name: /alice/ });
    expect(getResource).toHaveBeenLastCalledWith('values/user', { ...range, timeField: 'event' });
  });

  it('searches as the user types, and accepts custom values and template variables', async () => {
    const user = userEvent.setup();
    const { latest } = renderQueryEditor(datasource());
    const users = screen.getByLabelText(/^User/);
    await user.click(users);
    await user.type(users, 'ali');
    await waitFor(() => expect(getResource).toHaveBeenLastCalledWith('values/user', { from: RANGE.from.valueOf(), to: RANGE.to.valueOf(), q: 'ali' }));
    await user.click(await screen.findByRole('option', { name: /alice/ }));
    expect(latest().filters).toEqual({ user: ['alice'] });

    // A value the service has not seen (yet): typed and kept as it is. (The search text stays after a pick.)
    await user.clear(users);
    await user.type(users, 'mallory');
    await user.click(await screen.findByRole('option', { name: /mallory/ }));
    expect(latest().filters).toEqual({ user: ['alice', 'mallory'] });

    // Dashboard variables are offered alongside the values.
    const regions = screen.getByLabelText(/^Region/);
    await user.click(regions);
    await user.click(await screen.findByRole('option', { name: /\$region/ }));
    expect(latest().filters).toEqual({ user: ['alice', 'mallory'], region: ['$region'] });
  });

  it('shows a filter for each filter of the query model; Identity type takes the values that exist and dashboard variables', async () => {
    setTemplateSrv(fakeTemplateSrv({ identityType: ['Root'] }));
    const user = userEvent.setup();
    const { latest } = renderQueryEditor(datasource());
    // In the model's order, each marked optional.
    const filters = [...document.querySelectorAll('label[for*="-filter-"]')].map((l) => l.textContent?.replace(/ - optional$/, ''));
    expect(filters).toEqual([
      'Region', 'Service', 'Event name', 'User', 'IP address', 'Account', 'Error code', 'Identity type', 'Role', 'Permission set', 'Event category',
    ]);
    await user.click(screen.getByLabelText(/^Identity type/));
    const option = await screen.findByRole('option', { name: /AssumedRole/ });
    expect(getResource).toHaveBeenCalledWith('values/identityType', { from: RANGE.from.valueOf(), to: RANGE.to.valueOf() });
    expect(screen.getByText('90 events')).toBeInTheDocument();
    await user.click(option);
    expect(latest().filters).toEqual({ identityType: ['AssumedRole'] });
    await user.click(await screen.findByRole('option', { name: /\$identityType/ }));
    expect(latest().filters).toEqual({ identityType: ['AssumedRole', '$identityType'] });
  });

  it('Role takes the roles that exist, "(none)" among them, searched as typed; group by Role counts the calls per role', async () => {
    const user = userEvent.setup();
    const { latest } = renderQueryEditor(datasource());
    const roles = screen.getByLabelText(/^Role/);
    // Its tooltip says where a permission set is, and what (none) is.
    await user.hover(screen.getByText('Role', { selector: 'label' }).querySelector('svg')!);
    const tooltip = /permission set is its role AWSReservedSSO_<permission set>_…, one per account\. \(none\): every other call/;
    expect(await screen.findByText(tooltip)).toBeInTheDocument();
    await user.click(roles);
    expect(await screen.findByRole('option', { name: /Deployer/ })).toBeInTheDocument();
    expect(screen.getByRole('option', { name: /\(none\)/ })).toHaveTextContent('33 events');
    // A permission set's role, found by its name: the service is asked with the text typed.
    await user.type(roles, 'Administrator');
    const searched = { from: RANGE.from.valueOf(), to: RANGE.to.valueOf(), q: 'Administrator' };
    await waitFor(() => expect(getResource).toHaveBeenLastCalledWith('values/role', searched));
    await waitFor(() => expect(screen.queryByRole('option', { name: /Deployer/ })).not.toBeInTheDocument());
    await user.click(await screen.findByRole('option', { name: /^AWSReservedSSO_AdministratorAccess_/ }));
    expect(latest().filters).toEqual({ role: ['AWSReservedSSO_AdministratorAccess_8c9d0e1f2a3b4c5d'] });
    await user.clear(roles);
    await user.click(await screen.findByRole('option', { name: /\(none\)/ }));
    expect(latest().filters).toEqual({ role: ['AWSReservedSSO_AdministratorAccess_8c9d0e1f2a3b4c5d', '(none)'] });

    await user.click(screen.getByRole('combobox', { name: 'Group by' }));
    await user.click(await screen.findByRole('option', { name: /^Role/ }));
    expect(latest().groupBy).toBe('role');
    expect(screen.getByRole('combobox', { name: 'Group by' })).toHaveValue('Role');
  });

  it('Permission set takes the permission sets that exist, "(none)" among them, searched as typed; group by Permission set counts them', async () => {
    const user = userEvent.setup();
    const { latest } = renderQueryEditor(datasource());
    const sets = screen.getByLabelText(/^Permission set/);
    // Its tooltip says that one name stands for its roles in every account, and what (none) is.
    await user.hover(screen.getByText('Permission set', { selector: 'label' }).querySelector('svg')!);
    const tooltip = /such as AdministratorAccess: its roles in every account\. \(none\): every call made through no Identity Center role/;
    expect(await screen.findByText(tooltip)).toBeInTheDocument();
    await user.click(sets);
    expect(await screen.findByRole('option', { name: /ReadOnly/ })).toHaveTextContent('12 events');
    await user.type(sets, 'Admin');
    const searched = { from: RANGE.from.valueOf(), to: RANGE.to.valueOf(), q: 'Admin' };
    await waitFor(() => expect(getResource).toHaveBeenLastCalledWith('values/permissionSet', searched));
    await waitFor(() => expect(screen.queryByRole('option', { name: /ReadOnly/ })).not.toBeInTheDocument());
    await user.click(await screen.findByRole('option', { name: /^AdministratorAccess/ }));
    expect(latest().filters).toEqual({ permissionSet: ['AdministratorAccess'] });
    await user.clear(sets);
    await user.click(await screen.findByRole('option', { name: /\(none\)/ }));
    expect(latest().filters).toEqual({ permissionSet: ['AdministratorAccess', '(none)'] });

    await user.click(screen.getByRole('combobox', { name: 'Group by' }));
    await user.keyboard('Permission');
    await user.click(await screen.findByRole('option', { name: /^Permission set/ }));
    expect(latest().groupBy).toBe('permissionSet');
    expect(screen.getByRole('combobox', { name: 'Group by' })).toHaveValue('Permission set');
  });

  it('Event category keeps management or data events, with its tooltip; group by Event category counts each', async () => {
    const user = userEvent.setup();
    const { latest } = renderQueryEditor(datasource());
    await user.hover(screen.getByText('Event category', { selector: 'label' }).querySelector('svg')!);
    expect(await screen.findByText(/^Management: control-plane calls, what every trail logs; Data: S3 object calls, Lambda Invoke/)).toBeInTheDocument();
    await user.click(screen.getByLabelText(/^Event category/));
    expect(await screen.findByRole('option', { name: /^Data/ })).toHaveTextContent('120 events');
    expect(getResource).toHaveBeenCalledWith('values/eventCategory', { from: RANGE.from.valueOf(), to: RANGE.to.valueOf() });
    await user.click(screen.getByRole('option', { name: /^Management/ }));
    expect(latest().filters).toEqual({ eventCategory: ['Management'] });

    await user.click(screen.getByRole('combobox', { name: 'Group by' }));
    await user.keyboard('Event category');
    await user.click(await screen.findByRole('option', { name: /^Event category/ }));
    expect(latest().groupBy).toBe('eventCategory');
  });

  it('removes a filter value', async () => {
    const user = userEvent.setup();
    const { latest } = renderQueryEditor(datasource(), { refId: 'A', filters: { account: ['123456789012', '210987654321'] } });
    expect(screen.getByText('123456789012')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: /Remove 123456789012/i }));
    expect(latest().filters).toEqual({ account: ['210987654321'] });
  });

  it('says clearly when the service cannot be reached', async () => {
    const refused =
      'cannot reach http://127.0.0.1:7480: connection refused: is `trailhound serve` running there, and is the URL in the data source settings right?';
    getResource.mockRejectedValue({ status: 502, data: { error: refused } });
    const user = userEvent.setup();
    renderQueryEditor(datasource());
    expect(screen.queryByText(/suggestions are unavailable/)).not.toBeInTheDocument();
    await user.click(screen.getByLabelText(/^Service/));
    expect(await screen.findByText('Value suggestions are unavailable')).toBeInTheDocument();
    expect(screen.getByText(/connection refused: is `trailhound serve` running there/)).toBeInTheDocument();

    // Once lookups work again the hint goes away: when the field that failed has its values.
    getResource.mockResolvedValue({ values: [] });
    await user.keyboard('{Escape}');
    await user.click(screen.getByLabelText(/^Service/));
    await waitFor(() => expect(screen.queryByText(/suggestions are unavailable/)).not.toBeInTheDocument());
  });

  it("warns of a field's failed lookup until that field's lookup works, whatever other fields do meanwhile", async () => {
    getResource.mockImplementation(async (path: string) => {
      if (path === 'values/service') {
        throw { status: 500, data: { error: 'reading the kept log files failed' } };
      }
      return { values: [] };
    });
    const user = userEvent.setup();
    renderQueryEditor(datasource());
    await user.click(screen.getByLabelText(/^Service/));
    expect(await screen.findByRole('alert')).toHaveTextContent('The Service lookup failed: reading the kept log files failed');
    // Another field's values came: the Service field still has none.
    await user.keyboard('{Escape}');
    await user.click(screen.getByLabelText(/^Account/));
    await waitFor(() => expect(getResource).toHaveBeenLastCalledWith('values/account', expect.anything()));
    await act(async () => {});
    expect(screen.getByRole('alert')).toHaveTextContent('The Service lookup failed');
    // Its own lookup working again clears it.
    getResource.mockResolvedValue({ values: [] });
    await user.keyboard('{Escape}');
    await user.click(screen.getByLabelText(/^Service/));
    await waitFor(() => expect(screen.queryByRole('alert')).not.toBeInTheDocument());
  });

  it('lets no older lookup that failed late overwrite the answer of a newer one', async () => {
    let failLate: (err: unknown) => void = () => {};
    const values = getResource.getMockImplementation()!;
    // The first lookup of the users hangs, and fails after the search typed next has had its values.
    getResource.mockImplementationOnce(() => new Promise((_resolve, reject) => (failLate = reject)));
    const user = userEvent.setup();
    renderQueryEditor(datasource());
    await user.click(screen.getByLabelText(/^User/));
    await waitFor(() => expect(getResource).toHaveBeenCalledWith('values/user', expect.anything()));
    getResource.mockImplementation(values);
    await user.type(screen.getByLabelText(/^User/), 'ali');
    expect(await screen.findByRole('option', { name: /alice/ })).toHaveTextContent('40 events');
    await act(async () => failLate({ status: 502, data: { error: 'cannot reach http://127.0.0.1:7480: connection refused' } }));
    expect(screen.queryByText('Value suggestions are unavailable')).not.toBeInTheDocument();
  });

  it('says what the service answered when it was reached but could not look values up, not that it was unreachable', async () => {
    // The service's 503 while it upgrades its database, as the backend passes it on.
    const upgrading = 'the service is upgrading its database from schema version 11 to 12, once: it reads the kept log files back (about 5 minutes, ' +
      'started at 2026-11-26T22:00:00Z). Queries answer when it is done. Try again in a moment (GET /api/health says how far it is)';
    getResource.mockRejectedValue({ status: 503, data: { error: upgrading } });
    const user = userEvent.setup();
    renderQueryEditor(datasource());
    await user.click(screen.getByLabelText(/^Service/));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Value suggestions are unavailable');
    expect(alert).toHaveTextContent(/upgrading its database from schema version 11 to 12/);
    expect(alert).toHaveTextContent('The fields still take typed values and dashboard variables');
    expect(alert).not.toHaveTextContent(/could not be reached|is running/);
  });

  it('says nothing of failed lookups in the reports without value lists', async () => {
    getResource.mockRejectedValue({ status: 502, data: { error: 'cannot reach http://127.0.0.1:7480: connection refused' } });
    const user = userEvent.setup();
    renderQueryEditor(datasource());
    await user.click(screen.getByLabelText(/^Region/));
    expect(await screen.findByText('Value suggestions are unavailable')).toBeInTheDocument();
    await user.keyboard('{Escape}');
    await user.click(radio('Report type', 'List of Trails'));
    expect(screen.queryByText('Value suggestions are unavailable')).not.toBeInTheDocument();
    await user.click(radio('Report type', 'Ingestion'));
    expect(screen.queryByText('Value suggestions are unavailable')).not.toBeInTheDocument();
    // Back where the lists are, the failure is still the last word on them.
    await user.click(radio('Report type', 'Summary totals'));
    expect(screen.getByText('Value suggestions are unavailable')).toBeInTheDocument();
  });
});
