// The variable editor: which dimension to list, an optional search text and the time the range applies to. The
// TemplateSrv is a stand-in (no Grafana server here) holding the Events dashboard's $timeField.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TypedVariableModel } from '@grafana/data';
import { getTemplateSrv, locationService, setTemplateSrv } from '@grafana/runtime';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import type { DataSource } from '../datasource';
import { fakeTemplateSrv } from '../testing/fakeTemplateSrv';
import type { VariableQuery } from '../types';
import { VariableQueryEditor } from './VariableQueryEditor';

beforeEach(() => setTemplateSrv(fakeTemplateSrv({ timeField: 'arrival' })));

const radio = (group: string, option: string) => within(screen.getByRole('radiogroup', { name: group })).getByRole('radio', { name: option });

/** stored: called with each query the editor gives, as Grafana stores it in the variable it edits in place. */
function renderEditor(initial: VariableQuery | undefined, stored?: (query: VariableQuery) => void) {
  const onChange = jest.fn<void, [VariableQuery]>();
  function Harness() {
    const [query, setQuery] = useState(initial);
    return (
      <VariableQueryEditor
        datasource={{} as DataSource}
        query={query as VariableQuery}
        onRunQuery={() => {}}
        onChange={(q) => {
          onChange(q);
          stored?.(q);
          setQuery(q);
        }}
      />
    );
  }
  render(<Harness />);
  return onChange;
}

describe('VariableQueryEditor', () => {
  it('starts a new variable on users, and stores that', () => {
    const onChange = renderEditor(undefined);
    expect(screen.getByRole('combobox', { name: 'Values of' })).toHaveValue('User');
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'variable', dimension: 'user', search: '' });
  });

  it("replaces an old dashboard's plain-string query with the default", () => {
    const onChange = renderEditor('users' as unknown as VariableQuery);
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'variable', dimension: 'user', search: '' });
  });

  it("shows a stored dimension it does not know (a typo, a newer plugin's) as it is, and stores nothing over it", () => {
    const onChange = renderEditor({ refId: 'v', dimension: 'eventname' as VariableQuery['dimension'], search: 'Delete', timeField: 'arrival' });
    expect(screen.getByRole('combobox', { name: 'Values of' })).toHaveValue('eventname');
    expect(screen.getByLabelText(/^Containing/)).toHaveValue('Delete');
    expect(onChange).not.toHaveBeenCalled();
  });

  it('leaves a stored query as it is', () => {
    const onChange = renderEditor({ refId: 'v', dimension: 'region' });
    expect(screen.getByRole('combobox', { name: 'Values of' })).toHaveValue('Region');
    expect(onChange).not.toHaveBeenCalled();
  });

  it("stores the default over an emptied query or another data source's, as Grafana gives on a change of data source to ours", () => {
    for (const other of ['', { refId: 'PrometheusVariableQueryEditor-VariableQuery', query: 'label_values(job)', qryType: 1 }]) {
      const onChange = renderEditor(other as unknown as VariableQuery);
      expect(onChange).toHaveBeenCalledTimes(1);
      expect(onChange).toHaveBeenLastCalledWith({ refId: 'variable', dimension: 'user', search: '' });
      cleanup();
    }
  });

  it('stores nothing when Grafana empties the query on a change to another type of data source, while this editor is still shown', () => {
    // Grafana sets the variable's query to '' and shows the old data source's editor with it (a new onChange each
    // render) until the new data source's editor has loaded: the query stored then is the other data source's.
    const onChange = jest.fn();
    const props = { datasource: {} as DataSource, onRunQuery: () => {} };
    const { rerender } = render(<VariableQueryEditor {...props} query={{ refId: 'v', dimension: 'region' }} onChange={(q) => onChange(q)} />);
    rerender(<VariableQueryEditor {...props} query={'' as unknown as VariableQuery} onChange={(q) => onChange(q)} />);
    rerender(<VariableQueryEditor {...props} query={'' as unknown as VariableQuery} onChange={(q) => onChange(q)} />);
    expect(onChange).not.toHaveBeenCalled();
  });

  it('chooses the dimension', async () => {
    const user = userEvent.setup();
    const onChange = renderEditor({ refId: 'v', dimension: 'user' });
    await user.click(screen.getByRole('combobox', { name: 'Values of' }));
    await user.click(await screen.findByRole('option', { name: 'Error code' }));
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'v', dimension: 'errorCode' });
  });

  it('keeps the dimension when Enter hands over no option, a search typed that shortened the list below the chosen one', async () => {
    const user = userEvent.setup();
    const onChange = renderEditor({ refId: 'v', dimension: 'user' });
    const box = screen.getByRole('combobox', { name: 'Values of' });
    await user.click(box);
    // Region is the one match, first of the list, where User was fourth: it threw reading the value of undefined.
    await user.keyboard('reg{Enter}');
    expect(onChange).not.toHaveBeenCalled();
    // The box shows its dimension again when opened, and a dimension picked from the list is taken.
    await user.click(box);
    expect(box).toHaveValue('User');
    await user.click(await screen.findByRole('option', { name: 'Region' }));
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'v', dimension: 'region' });
  });

  it('offers every dimension the service lists', async () => {
    const user = userEvent.setup();
    const onChange = renderEditor({ refId: 'v', dimension: 'region' });
    await user.click(screen.getByRole('combobox', { name: 'Values of' }));
    const names = (await screen.findAllByRole('option')).map((o) => o.textContent);
    expect(names).toEqual([
      'Region', 'Service', 'Event name', 'User', 'IP address', 'Account', 'Error code', 'Identity type', 'Role', 'Permission set', 'Event category',
    ]);
    // The roles the calls were made through, for a dashboard's Role variable.
    await user.click(await screen.findByRole('option', { name: 'Role' }));
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'v', dimension: 'role' });
    // The Identity Center permission sets, one name for their roles in every account.
    await user.click(screen.getByRole('combobox', { name: 'Values of' }));
    await user.click(await screen.findByRole('option', { name: 'Permission set' }));
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'v', dimension: 'permissionSet' });
    // Management and data events, for a dashboard's Event category variable.
    await user.click(screen.getByRole('combobox', { name: 'Values of' }));
    await user.click(await screen.findByRole('option', { name: 'Event category' }));
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'v', dimension: 'eventCategory' });
  });

  it('lists by event time unless told otherwise; arrival time is stored as the query editor stores it', async () => {
    const user = userEvent.setup();
    const onChange = renderEditor({ refId: 'v', dimension: 'user' });
    expect(radio('Time', 'Event time')).toBeChecked();
    await user.click(radio('Time', 'Arrival time'));
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'v', dimension: 'user', timeField: 'arrival' });
    expect(radio('Time', 'Arrival time')).toBeChecked();
  });

  it("shows and keeps a time field from a dashboard variable, as the Events dashboard's lists have it", async () => {
    const dashboard = JSON.parse(readFileSync(path.join(__dirname, '../../../dashboards/cloudtrail-events.json'), 'utf8'));
    const variable = dashboard.templating.list.find((v: { name: string }) => v.name === 'user');
    const onChange = renderEditor(variable.query);
    expect(screen.getByRole('combobox', { name: 'Time' })).toHaveValue('$timeField');
    expect(onChange).not.toHaveBeenCalled();

    // A choice replaces the variable; the "$" button picks it back.
    const user = userEvent.setup();
    await user.click(screen.getByRole('combobox', { name: 'Time' }));
    await user.click(await screen.findByRole('option', { name: /^Event time/ }));
    expect(onChange).toHaveBeenLastCalledWith({ ...variable.query, timeField: 'event' });
    await user.click(screen.getByRole('button', { name: 'Use a dashboard variable for Time' }));
    await user.click(screen.getByRole('combobox', { name: 'Time' }));
    await user.click(await screen.findByRole('option', { name: /\$timeField/ }));
    expect(onChange).toHaveBeenLastCalledWith({ ...variable.query, timeField: '$timeField' });
  });

  it('takes a search text when the box is left', async () => {
    const user = userEvent.setup();
    const onChange = renderEditor({ refId: 'v', dimension: 'eventName' });
    await user.type(screen.getByLabelText(/^Containing/), 'Delete');
    expect(onChange).not.toHaveBeenCalled();
    await user.tab();
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'v', dimension: 'eventName', search: 'Delete' });
  });

  it("keeps a search typed when the editor is taken away with the focus still in the box (its view left by the browser's Back)", async () => {
    const stored = jest.fn<void, [VariableQuery]>();
    // As Grafana's drawer: tabs that take the editor away, and a copy of the stored query at each render.
    function Drawer() {
      const [query, setQuery] = useState<VariableQuery>({ refId: 'v', dimension: 'user' });
      const [tab, setTab] = useState('query');
      return (
        <>
          <button onClick={() => setTab('query')}>Query</button>
          <button onClick={() => setTab('static')}>Static options</button>
          {tab === 'query' && (
            <VariableQueryEditor
              datasource={{} as DataSource}
              query={{ ...query }}
              onRunQuery={() => {}}
              onChange={(q) => {
                stored(q);
                setQuery(q);
              }}
            />
          )}
        </>
      );
    }
    render(<Drawer />);
    await userEvent.setup().type(screen.getByLabelText(/^Containing/), 'admin');
    // A click alone, no focus moved: the box gets no blur.
    fireEvent.click(screen.getByRole('button', { name: 'Static options' }));
    expect(stored).toHaveBeenCalledTimes(1);
    expect(stored).toHaveBeenLastCalledWith({ refId: 'v', dimension: 'user', search: 'admin' });
    fireEvent.click(screen.getByRole('button', { name: 'Query' }));
    expect(screen.getByLabelText(/^Containing/)).toHaveValue('admin');
    // Nothing typed since: taken away again, it reports nothing.
    fireEvent.click(screen.getByRole('button', { name: 'Static options' }));
    expect(stored).toHaveBeenCalledTimes(1);
  });
});

describe('VariableQueryEditor dashboard variables', () => {
  type Model = Partial<TypedVariableModel> & { name: string; query?: unknown };
  const dashboard = JSON.parse(readFileSync(path.join(__dirname, '../../../dashboards/cloudtrail-events.json'), 'utf8'));
  // Some of the Events dashboard's variables (as Grafana lists them: their "All" is "$__all", no reference), and some
  // chained to $user: the roles of the chosen users, the accounts of those roles (through $userRole: depends on $user
  // too), and a text box whose value only looks like a reference. Few enough that the box's list shows them all.
  const eventsVariables: Model[] = dashboard.templating.list.filter((v: Model) => ['timeField', 'region', 'user', 'account'].includes(v.name));
  const chained: Model[] = [
    { name: 'userRole', type: 'query', query: { refId: 'TrailhoundVariableQuery', dimension: 'role', search: '$user' }, regex: '' },
    { name: 'roleAccount', type: 'query', query: { refId: 'TrailhoundVariableQuery', dimension: 'account', search: '${userRole:raw}' }, regex: '' },
    { name: 'note', type: 'textbox', query: '$user' },
  ];
  const userQuery = (): VariableQuery => ({ ...eventsVariables.find((v) => v.name === 'user')!.query } as VariableQuery);

  function useDashboard(extra: Model[] = []) {
    const models = Object.fromEntries([...eventsVariables, ...chained, ...extra].map((v) => [v.name, { ...v }]));
    setTemplateSrv(fakeTemplateSrv(Object.fromEntries(Object.keys(models).map((name) => [name, ''])), models));
    return models;
  }

  /** The "$name" options of the Time box. */
  async function offeredVariables() {
    const user = userEvent.setup();
    await user.click(screen.getByRole('combobox', { name: 'Time' }));
    const options = await screen.findAllByRole('option');
    await user.keyboard('{Escape}');
    return options.map((o) => o.textContent?.replace(/Dashboard variable$/, '')).filter((name) => name?.startsWith('$'));
  }

  const others = ['$timeField', '$region', '$account', '$note'];

  it('offers every variable but the one edited and those depending on it', async () => {
    useDashboard();
    renderEditor(userQuery());
    expect(await offeredVariables()).toEqual(others);
  });

  it('still leaves it out after a change that the dashboard has not taken yet (a draft, applied later)', async () => {
    useDashboard();
    const onChange = renderEditor(userQuery());
    const user = userEvent.setup();
    await user.type(screen.getByLabelText(/^Containing/), 'admin');
    await user.tab();
    expect(onChange).toHaveBeenLastCalledWith({ ...userQuery(), search: 'admin' });
    expect(await offeredVariables()).toEqual(others);
  });

  it('still leaves it out when the dashboard takes each change at once (edited in place)', async () => {
    const models = useDashboard();
    renderEditor(userQuery(), (query) => (models.user.query = query));
    const user = userEvent.setup();
    await user.type(screen.getByLabelText(/^Containing/), 'admin');
    await user.tab();
    expect(models.user.query).toEqual({ ...userQuery(), search: 'admin' });
    expect(await offeredVariables()).toEqual(others);
  });

  describe('with a twin, a variable of the same query (as Duplicate makes it)', () => {
    const twin: Model = { name: 'copy_of_user', type: 'query', query: userQuery(), regex: '' };
    /** The settings view's URL while it edits the variable named. */
    const editing = (name: string) =>
      locationService.push(`/d/events?editview=variables&editIndex=${getTemplateSrv().getVariables().findIndex((v) => v.name === name)}`);
    afterEach(() => locationService.push('/'));

    it('leaves out only the one the settings view edits, and those depending on it', async () => {
      const models = useDashboard([twin]);
      editing('copy_of_user');
      renderEditor(userQuery(), (query) => (models.copy_of_user.query = query));
      // $user and its chain are choices: the variable edited refers to none of them.
      expect(await offeredVariables()).toEqual(['$timeField', '$region', '$user', '$account', '$userRole', '$roleAccount', '$note']);
      const user = userEvent.setup();
      await user.type(screen.getByLabelText(/^Containing/), 'admin');
      await user.tab();
      expect(await offeredVariables()).toEqual(['$timeField', '$region', '$user', '$account', '$userRole', '$roleAccount', '$note']);
    });

    it('leaves out the original, not its twin, when the original is edited', async () => {
      useDashboard([twin]);
      editing('user');
      renderEditor(userQuery());
      expect(await offeredVariables()).toEqual([...others, '$copy_of_user']);
    });

    it('leaves out both where nothing says which is edited (the drawer), rather than offer the one edited', async () => {
      useDashboard([twin]);
      renderEditor(userQuery());
      expect(await offeredVariables()).toEqual(others);
    });
  });

  it('leaves out a new variable, stored empty until the editor gives its default', async () => {
    useDashboard([{ name: 'fresh', type: 'query', query: '' }]);
    renderEditor('' as unknown as VariableQuery);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Use a dashboard variable for Time' }));
    expect(await offeredVariables()).toEqual(['$timeField', '$region', '$user', '$account', '$userRole', '$roleAccount', '$note']);
  });
});
