// The config editor: service URL, the secret token (set, kept, reset) and the ingestion panel of a saved data
// source. There is no Grafana server here: the DataSourceSrv is a stand-in installed with setDataSourceSrv,
// and the saved data source's lookups are stubbed at getResource/postResource.
import { OrgRole, type DataSourceSettings } from '@grafana/data';
import { config, setDataSourceSrv, type DataSourceSrv } from '@grafana/runtime';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { DataSource } from '../datasource';
import { instanceSettings } from '../testing/settings';
import { DEFAULT_URL, type Options, type SecureOptions } from '../types';
import { timeoutSeconds } from '../../model/settings';
import { ConfigEditor, plainHttpWarning } from './ConfigEditor';

type Settings = DataSourceSettings<Options, SecureOptions>;

const STATUS = {
  objects: 1234,
  events: 56789,
  errors: 2,
  skipped: 0,
  newestEvent: '2026-11-25T10:00:00.000Z',
  oldestEvent: '2026-11-11T00:00:00.000Z',
  lagSeconds: 600,
  lastPoll: '2026-11-25T10:05:00.000Z',
  lastPollError: null,
};

const FAILED_AT = '2026-11-25T09:00:00.000Z';
const KEY = 'audit/AWSLogs/123456789012/CloudTrail/eu-west-1/2026/11/25/123456789012_CloudTrail_eu-west-1_20261125T0900Z_Ab12.json.gz';
const UNREADABLE = {
  total: 2,
  errors: [
    { source: 's3://audit-logs/audit/', key: KEY, reason: 'Malformed JSON: unexpected end of input', failedAt: FAILED_AT },
    { source: 's3://audit-logs/audit/', key: 'audit/notes.json', reason: 'no Records array', failedAt: '2026-11-24T09:00:00.000Z' },
  ],
};

/** The saved data source's resources, by path: the status, the unreadable files (absent: that call fails as given). */
function answer(status: object, unreadable: object | Error = UNREADABLE) {
  return async (path: string) => {
    if (path !== 'ingest/errors') return status;
    if (unreadable instanceof Error) throw unreadable;
    return unreadable;
  };
}

function settings(overrides: Partial<Settings> = {}): Settings {
  return {
    id: 1,
    uid: 'trailhound-uid',
    orgId: 1,
    name: 'Trailhound',
    type: 'trailhound-cloudtrail-datasource',
    typeName: 'Trailhound',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    withCredentials: false,
    readOnly: false,
    version: 2,
    jsonData: { url: 'http://trailhound:7480' },
    secureJsonFields: {},
    ...overrides,
  } as Settings;
}

async function renderEditor(initial: Settings) {
  const onOptionsChange = jest.fn<void, [Settings]>();
  function Harness() {
    const [options, setOptions] = useState(initial);
    return (
      <ConfigEditor
        options={options}
        onOptionsChange={(next) => {
          onOptionsChange(next);
          setOptions(next);
        }}
      />
    );
  }
  render(<Harness />);
  // Let the saved data source load and answer its first status request.
  await act(async () => {
    await new Promise((resolve) => setTimeout(resolve, 0));
  });
  return { onOptionsChange, latest: () => onOptionsChange.mock.calls.at(-1)![0] };
}

let getResource: jest.SpyInstance;
let postResource: jest.SpyInstance;
let get: jest.Mock;

beforeEach(() => {
  getResource = jest.spyOn(DataSource.prototype, 'getResource').mockImplementation(answer(STATUS));
  postResource = jest.spyOn(DataSource.prototype, 'postResource').mockResolvedValue({ status: 'started', days: 90 });
  get = jest.fn(async () => new DataSource(instanceSettings()));
  setDataSourceSrv({ get } as unknown as DataSourceSrv);
  config.bootData.user.orgRole = OrgRole.Admin;
});
afterEach(() => jest.restoreAllMocks());

describe('ConfigEditor', () => {
  it('stores the default service URL when none is set', async () => {
    const { latest } = await renderEditor(settings({ jsonData: {} }));
    expect(latest().jsonData.url).toBe(DEFAULT_URL);
    expect(screen.getByRole('textbox', { name: /Service URL/ })).toHaveValue(DEFAULT_URL);
  });

  it("takes a provisioned data source's own URL, where the backend would look next", async () => {
    const { latest } = await renderEditor(settings({ url: 'http://trailhound:7480', jsonData: {} }));
    expect(latest().jsonData.url).toBe('http://trailhound:7480');
    expect(screen.getByRole('textbox', { name: /Service URL/ })).toHaveValue('http://trailhound:7480');
  });

  it('edits the service URL', async () => {
    const user = userEvent.setup();
    const { latest } = await renderEditor(settings());
    const url = screen.getByRole('textbox', { name: /Service URL/ });
    await user.clear(url);
    await user.type(url, 'https://trail.example.com');
    expect(latest().jsonData).toEqual({ url: 'https://trail.example.com' });
  });

  it('warns, without refusing it, about an http URL to a host that looks public: the token and audit data would cross networks unencrypted', async () => {
    const user = userEvent.setup();
    const { latest } = await renderEditor(settings({ jsonData: { url: DEFAULT_URL } }));
    const url = screen.getByRole('textbox', { name: /Service URL/ });
    // The shipped docker-compose setup: a service in the same Docker network, no warning.
    await user.clear(url);
    await user.type(url, 'http://trailhound:7480');
    expect(screen.queryByText(/unencrypted/)).not.toBeInTheDocument();
    await user.clear(url);
    await user.type(url, 'http://trail.example.com:7480');
    const warning = screen.getByText(
      'Plain http to trail.example.com: the token and audit data cross the network unencrypted. Prefer https, or a private network.'
    );
    expect(url).toHaveAccessibleDescription(warning.textContent!);
    expect(url).not.toBeInvalid();
    expect(latest().jsonData).toEqual({ url: 'http://trail.example.com:7480' });
    await user.clear(url);
    await user.type(url, 'https://trail.example.com:7480');
    expect(screen.queryByText(/unencrypted/)).not.toBeInTheDocument();
  });

  it('says, as it is typed, what is wrong with a URL the backend would refuse', async () => {
    const user = userEvent.setup();
    const { latest } = await renderEditor(settings());
    const url = screen.getByRole('textbox', { name: /Service URL/ });
    expect(url).not.toBeInvalid();
    // Without its scheme, a host and port read as a URL of the scheme "trailhound:".
    await user.clear(url);
    await user.type(url, 'trailhound:7480');
    expect(screen.getByText(`Start it with http:// or https://, e.g. ${DEFAULT_URL}`)).toBeInTheDocument();
    expect(url).toBeInvalid();
    // Kept as typed: a bad URL loses nothing, and Save & test refuses it too.
    expect(latest().jsonData).toEqual({ url: 'trailhound:7480' });
    await user.clear(url);
    await user.type(url, 'http://admin:secret@trailhound:7480');
    expect(screen.getByText(/^Leave out the user name and password/)).toBeInTheDocument();
    await user.clear(url);
    await user.type(url, 'http://trailhound:7480/?x=1');
    expect(screen.getByText(/^Leave out the query \(\?\) and fragment \(#\)/)).toBeInTheDocument();
    await user.clear(url);
    await user.type(url, 'http://');
    expect(screen.getByText(`Not a URL: write it whole, e.g. ${DEFAULT_URL}`)).toBeInTheDocument();
    await user.type(url, 'trailhound:7480');
    expect(url).not.toBeInvalid();
    expect(screen.queryByText(/^Not a URL|^Start it with/)).not.toBeInTheDocument();
  });

  // As the CLI's report judges it (both use src/model/settings.ts): loopback and private networks are not warned of.
  it.each([
    ['http://127.0.0.1:7480', false],
    ['http://127.1.2.3:7480', false],
    ['http://localhost:7480', false],
    ['http://LOCALHOST:7480', false],
    ['http://[::1]:7480', false],
    ['http://0.0.0.0:7480', false],
    ['http://[::ffff:127.0.0.1]:7480', false],
    ['https://203.0.113.7:7480', false],
    ['https://trailhound:7480', false],
    ['not a url', false],
    ['http://trailhound:7480', false],
    ['http://trailhound.monitoring.svc.cluster.local:7480', false],
    ['http://10.1.2.3:7480', false],
    ['http://192.168.1.10:7480', false],
    ['http://[::ffff:192.168.1.10]:7480', false],
    // A trailing dot is the same host, and a short loopback address is loopback, as the URL parser reads them.
    ['http://localhost.:7480', false],
    ['http://trailhound.:7480', false],
    ['http://127.1:7480', false],
    ['http://trail.example.com.:7480', true],
    ['http://128.0.0.1:7480', true],
    ['http://127.example.com:7480', true],
    ['http://localhost.example.com:7480', true],
    ['http://203.0.113.7:7480', true],
    ['http://[2001:db8::1]:7480', true],
  ])('%s: a warning, %s', (url, warned) => {
    expect(plainHttpWarning(url) !== undefined).toBe(warned);
  });

  it('sets the timeout per call to the service, where the backend reads it, and marks one it would refuse as typed', async () => {
    const user = userEvent.setup();
    const { latest } = await renderEditor(settings());
    const timeout = screen.getByRole('textbox', { name: /Timeout/ });
    expect(timeout).toHaveValue('');
    expect(timeout).toHaveAttribute('placeholder', '60');
    expect(screen.getByText('Seconds to wait for each call to the service; default 60, at most 3600 (one hour)')).toBeInTheDocument();
    await user.type(timeout, '120');
    expect(latest().jsonData).toEqual({ url: 'http://trailhound:7480', timeoutSeconds: 120 });
    expect(timeout).not.toBeInvalid();
    const error = 'More than 0 and at most 3600 seconds; empty for the default';
    for (const typed of ['3601', '0', '-5']) {
      await user.clear(timeout);
      await user.type(timeout, typed);
      // Kept as typed: Save & test refuses it too, and says why.
      expect(latest().jsonData).toEqual({ url: 'http://trailhound:7480', timeoutSeconds: Number(typed) });
      expect(timeout).toBeInvalid();
      expect(screen.getByText(error)).toBeInTheDocument();
    }
    // Part of a second counts, as the backend takes it.
    for (const typed of ['0.5', '90.5']) {
      await user.clear(timeout);
      await user.type(timeout, typed);
      expect(latest().jsonData).toEqual({ url: 'http://trailhound:7480', timeoutSeconds: Number(typed) });
      expect(timeout).not.toBeInvalid();
    }
    await user.clear(timeout);
    await user.type(timeout, '3600');
    expect(timeout).not.toBeInvalid();
    expect(screen.queryByText(error)).not.toBeInTheDocument();
    // Emptied: no key at all, and the backend uses its default.
    await user.clear(timeout);
    expect(latest().jsonData).toEqual({ url: 'http://trailhound:7480' });
    expect(timeout).not.toBeInvalid();
  });

  it('keeps a timeout too big for a number as typed, marked, and saves it so that Save & test names it, not as the default', async () => {
    const user = userEvent.setup();
    const { latest } = await renderEditor(settings({ jsonData: { url: 'http://trailhound:7480', timeoutSeconds: 90 } }));
    const timeout = screen.getByLabelText(/^Timeout/);
    const error = 'More than 0 and at most 3600 seconds; empty for the default';
    // What Grafana saves is the JSON of jsonData: Infinity would go as null, which is the default.
    const saved = () => JSON.parse(JSON.stringify(latest().jsonData)).timeoutSeconds;
    for (const typed of ['1e400', '-1e400', '1e999', 'soon', '0x10']) {
      await user.clear(timeout);
      await user.type(timeout, typed);
      expect(timeout).toHaveValue(typed);
      expect(timeout).toBeInvalid();
      expect(screen.getByText(error)).toBeInTheDocument();
      expect(saved()).toBe(typed);
      // Read as the backend reads it (src/model/settings.ts): refused, so Save & test says so.
      expect(timeoutSeconds(saved())).toBeNaN();
    }
    // What it shows is what was typed, a number being written too ("90." on the way to "90.5").
    await user.clear(timeout);
    await user.type(timeout, '90.');
    expect(timeout).toHaveValue('90.');
    expect(saved()).toBe(90);
    await user.type(timeout, '5');
    expect(saved()).toBe(90.5);
    expect(timeout).not.toBeInvalid();
  });

  it('shows a timeout saved as null (an older version saved 1e400 so) as empty, the default, and a newer save as stored', async () => {
    const onOptionsChange = jest.fn();
    const old = settings({ jsonData: { url: 'http://trailhound:7480', timeoutSeconds: null as unknown as number } });
    const { rerender } = render(<ConfigEditor options={old} onOptionsChange={onOptionsChange} />);
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
    const timeout = screen.getByRole('textbox', { name: /Timeout/ });
    expect(timeout).toHaveValue('');
    expect(timeout).not.toBeInvalid();
    rerender(<ConfigEditor options={{ ...old, jsonData: { url: 'http://trailhound:7480', timeoutSeconds: 120 } }} onOptionsChange={onOptionsChange} />);
    expect(timeout).toHaveValue('120');
  });

  it('shows a provisioned timeout, quoted in the YAML or not', async () => {
    await renderEditor(settings({ jsonData: { url: 'http://trailhound:7480', timeoutSeconds: '90' as unknown as number } }));
    expect(screen.getByRole('textbox', { name: /Timeout/ })).toHaveValue('90');
    expect(screen.getByRole('textbox', { name: /Timeout/ })).not.toBeInvalid();
  });

  it('takes a new token as a secret', async () => {
    const user = userEvent.setup();
    const { latest } = await renderEditor(settings());
    const token = screen.getByPlaceholderText('Bearer token');
    expect(token).toHaveAttribute('type', 'password');
    await user.type(token, 's3cret');
    expect(latest().secureJsonData).toEqual({ token: 's3cret' });
    expect(latest().jsonData).toEqual({ url: 'http://trailhound:7480' });
  });

  it('shows a stored token as configured, never its value, and resets it', async () => {
    const user = userEvent.setup();
    const { latest } = await renderEditor(settings({ secureJsonFields: { token: true } }));
    const configured = screen.getByDisplayValue('configured');
    expect(configured).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Reset' }));
    expect(latest().secureJsonFields).toEqual({ token: false });
    expect(latest().secureJsonData).toEqual({ token: '' });
    // After a reset a new token can be typed.
    const token = screen.getByPlaceholderText('Bearer token');
    expect(token).toBeEnabled();
    await user.type(token, 'new');
    expect(latest().secureJsonData).toEqual({ token: 'new' });
  });

  it('changes nothing of a provisioned (read-only) data source, says so, and still shows its ingestion status', async () => {
    const user = userEvent.setup();
    const provisioned = settings({ readOnly: true, secureJsonFields: { token: true }, jsonData: { url: DEFAULT_URL, timeoutSeconds: 90 } });
    const { onOptionsChange } = await renderEditor(provisioned);
    expect(screen.getByText(/Provisioned/)).toBeInTheDocument();
    const url = screen.getByRole('textbox', { name: /Service URL/ });
    const timeout = screen.getByRole('textbox', { name: /Timeout/ });
    const reset = screen.getByRole('button', { name: 'Reset' });
    for (const control of [url, timeout, reset]) {
      expect(control).toBeDisabled();
    }
    await user.type(url, '/x');
    await user.type(timeout, '0');
    await user.click(reset);
    expect(onOptionsChange).not.toHaveBeenCalled();
    expect(url).toHaveValue(DEFAULT_URL);
    expect(screen.getByDisplayValue('configured')).toBeInTheDocument();
    // The service's status is no setting of the data source: it shows as for any other.
    expect(await screen.findByText((1234).toLocaleString())).toBeInTheDocument();
  });

  it('leaves the fields of a data source saved in Grafana editable, without the provisioned note', async () => {
    await renderEditor(settings({ secureJsonFields: { token: true } }));
    expect(screen.queryByText(/Provisioned/)).not.toBeInTheDocument();
    const textboxes = [screen.getByRole('textbox', { name: /Service URL/ }), screen.getByRole('textbox', { name: /Timeout/ })];
    for (const control of [...textboxes, screen.getByRole('button', { name: 'Reset' })]) {
      expect(control).toBeEnabled();
    }
  });

  it('shows the ingestion status of the saved data source', async () => {
    await renderEditor(settings());
    expect(await screen.findByText('Log files')).toBeInTheDocument();
    expect(get).toHaveBeenCalledWith({ uid: 'trailhound-uid' });
    expect(getResource).toHaveBeenCalledWith('ingest/status');
    expect(screen.getByText((1234).toLocaleString())).toBeInTheDocument();
    expect(screen.getByText((56789).toLocaleString())).toBeInTheDocument();
    expect(screen.getByText('10 min')).toBeInTheDocument();
    expect(screen.getByText(new Date(STATUS.newestEvent).toLocaleString())).toBeInTheDocument();
    // lastPoll is the last run that succeeded: a failed one beside it is told by the error below, not by this time.
    expect(screen.getByText('Last successful poll').nextElementSibling).toHaveTextContent(new Date(STATUS.lastPoll!).toLocaleString());
    // Without a retention, every event is kept: nothing to say.
    expect(screen.queryByText('Retention')).not.toBeInTheDocument();
  });

  it('names the days box and the Retrieve older logs button apart, and says what the box is for', async () => {
    await renderEditor(settings());
    // Each its own name: a screen reader heard "Retrieve older logs" for both.
    const days = await screen.findByRole('spinbutton', { name: 'Days back' });
    const button = screen.getByRole('button', { name: 'Retrieve older logs' });
    expect(days).not.toHaveAccessibleName(/Retrieve older logs/);
    expect(days).toHaveAccessibleDescription("How many days of older logs to retrieve: the trail's log files this many days back from today");
    expect(button).not.toHaveAccessibleName(/Days back/);
  });

  it('retrieves older logs for the days asked', async () => {
    const user = userEvent.setup();
    await renderEditor(settings());
    const days = await screen.findByRole('spinbutton', { name: 'Days back' });
    await user.clear(days);
    await user.type(days, '90');
    const startedAt = '2026-11-25T10:06:00.000Z';
    getResource.mockImplementation(answer({ ...STATUS, backfill: { days: 90, state: 'running', startedAt } }));
    // Where the answer will be said: a live region, there (empty) before it, so a screen reader reads the answer out.
    const said = screen.getByRole('status');
    expect(said).toBeEmptyDOMElement();
    await user.click(screen.getByRole('button', { name: 'Retrieve older logs' }));
    expect(postResource).toHaveBeenCalledWith('backfill', { days: 90 });
    expect(await screen.findByText(/Retrieving the last 90 days of logs/)).toBeInTheDocument();
    expect(said).toHaveTextContent(/^Retrieving the last 90 days of logs/);
    // The status is read again at once, and shows the backfill under way.
    expect(await screen.findByText(`90 days, running since ${new Date(startedAt).toLocaleString()}`)).toBeInTheDocument();
  });

  it('says when the service keeps fewer days than asked for', async () => {
    const user = userEvent.setup();
    postResource.mockResolvedValue({ status: 'started', days: 8, retentionDays: 7 });
    await renderEditor(settings());
    await screen.findByRole('spinbutton', { name: 'Days back' });
    await user.click(screen.getByRole('button', { name: 'Retrieve older logs' }));
    expect(postResource).toHaveBeenCalledWith('backfill', { days: 30 });
    expect(await screen.findByText('Retrieving the last 8 days of logs (the service keeps 7 days of events). Refresh to follow its progress.'))
      .toBeInTheDocument();
  });

  it('says a retention of one day in the singular', async () => {
    const user = userEvent.setup();
    postResource.mockResolvedValue({ status: 'started', days: 2, retentionDays: 1 });
    await renderEditor(settings());
    await screen.findByRole('spinbutton', { name: 'Days back' });
    await user.click(screen.getByRole('button', { name: 'Retrieve older logs' }));
    expect(await screen.findByText('Retrieving the last 2 days of logs (the service keeps 1 day of events). Refresh to follow its progress.'))
      .toBeInTheDocument();
  });

  it('shows the retention, when the service prunes', async () => {
    const retention = { days: 90, before: '2026-08-27T10:00:00.000Z', prunedAt: '2026-11-25T10:00:00.000Z' };
    getResource.mockImplementation(answer({ ...STATUS, retention }));
    await renderEditor(settings());
    expect(await screen.findByText('Retention')).toBeInTheDocument();
    const pruned = `90 days: events before ${new Date(retention.before).toLocaleString()} removed at ${new Date(retention.prunedAt).toLocaleString()}`;
    expect(screen.getByText(pruned)).toBeInTheDocument();
  });

  it('shows how each source is doing when the service reads several', async () => {
    const lastRun = '2026-11-25T10:05:00.000Z';
    const sources = [
      { source: 's3://audit-logs/prod/', objects: 1200, lastRun, lastError: null },
      { source: 's3://legacy-trail/', objects: 34, lastRun, lastError: 'AccessDenied' },
    ];
    getResource.mockImplementation(answer({ ...STATUS, sources }));
    await renderEditor(settings());
    const list = await screen.findByLabelText('Sources');
    expect(list).toHaveTextContent(`s3://audit-logs/prod/${(1200).toLocaleString()} log files, last read ${new Date(lastRun).toLocaleString()}`);
    expect(list).toHaveTextContent('s3://legacy-trail/34 log files, its last run failed: AccessDenied');
  });

  it('says nothing of sources when there is one', async () => {
    getResource.mockImplementation(answer({ ...STATUS, sources: [{ source: 's3://audit-logs/', objects: 1234, lastRun: null, lastError: null }] }));
    await renderEditor(settings());
    expect(await screen.findByText('Log files')).toBeInTheDocument();
    expect(screen.queryByLabelText('Sources')).not.toBeInTheDocument();
  });

  it('tells anyone but an organization Admin that they cannot retrieve older logs', async () => {
    config.bootData.user.orgRole = OrgRole.Editor;
    await renderEditor(settings());
    expect(await screen.findByText('Only an organization Admin can retrieve older logs')).toBeInTheDocument();
    const days = screen.getByRole('spinbutton', { name: 'Days back' });
    expect(days).toBeDisabled();
    expect(days).toHaveAccessibleDescription('Only an organization Admin can retrieve older logs');
    expect(screen.getByRole('button', { name: 'Retrieve older logs' })).toBeDisabled();
  });

  it('refuses a number of days the service would reject', async () => {
    const user = userEvent.setup();
    await renderEditor(settings());
    const days = await screen.findByRole('spinbutton', { name: 'Days back' });
    await user.clear(days);
    await user.type(days, '0');
    expect(screen.getByRole('button', { name: 'Retrieve older logs' })).toBeDisabled();
    expect(screen.getByText('A whole number of days, 1 or more')).toBeInTheDocument();
    // Said with the box, not only shown below it.
    expect(days).toBeInvalid();
    expect(days).toHaveAccessibleDescription(/this many days back from today A whole number of days, 1 or more$/);
    // Number() reads it as 30, which would be asked for: a fraction is refused however many digits it has.
    await user.clear(days);
    await user.type(days, '30.0000000000000001');
    expect(screen.getByRole('button', { name: 'Retrieve older logs' })).toBeDisabled();
    expect(days).toBeInvalid();
  });

  it('asks for any number of days, and says when the service reads from when CloudTrail began instead', async () => {
    const user = userEvent.setup();
    postResource.mockResolvedValue({ status: 'started', days: 4762, cloudTrailBegan: '2013-11-13' });
    await renderEditor(settings());
    const days = await screen.findByRole('spinbutton', { name: 'Days back' });
    await user.clear(days);
    await user.type(days, '36500');
    expect(screen.queryByText('A whole number of days, 1 or more')).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Retrieve older logs' }));
    expect(postResource).toHaveBeenCalledWith('backfill', { days: 36500 });
    const message = `Retrieving the last ${(4762).toLocaleString()} days of logs, every day since CloudTrail began (2013-11-13).`;
    expect(await screen.findByText(`${message} Refresh to follow its progress.`)).toBeInTheDocument();
  });

  it('says why when the service cannot be reached', async () => {
    getResource.mockRejectedValue({ status: 502, data: { error: 'connect ECONNREFUSED 127.0.0.1:7480' } });
    postResource.mockRejectedValue({ status: 501, data: { error: 'backfill needs the ingesting service' } });
    const user = userEvent.setup();
    await renderEditor(settings());
    expect(await screen.findByText('Ingestion status unavailable')).toBeInTheDocument();
    expect(screen.getByText(/ECONNREFUSED/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Retrieve older logs' }));
    expect(await screen.findByText(/Could not start: backfill needs the ingesting service/)).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('Could not start: backfill needs the ingesting service');
  });

  it('after a failed refresh, says the counts it keeps are from the last successful read, and dims them', async () => {
    const user = userEvent.setup();
    const before = Date.now();
    await renderEditor(settings());
    await screen.findByText('Log files');
    const after = Date.now();
    const list = screen.getByLabelText('Ingestion status');
    expect(list).not.toHaveAccessibleDescription();
    expect(list.parentElement).not.toHaveStyle({ opacity: '0.6' });
    getResource.mockRejectedValue({ status: 502, data: { error: 'connect ECONNREFUSED 127.0.0.1:7480' } });
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(await screen.findByText('Ingestion status unavailable')).toBeInTheDocument();
    // Still there, but as of when they were read.
    expect(within(list).getByText((56789).toLocaleString())).toBeInTheDocument();
    const note = /^As of (.+), the last successful read: the service may have changed since\.$/;
    expect(list).toHaveAccessibleDescription(note);
    const shown = note.exec(screen.getByText(note).textContent!)![1];
    expect([new Date(before).toLocaleString(), new Date(after).toLocaleString()]).toContain(shown);
    expect(list.parentElement).toHaveStyle({ opacity: '0.6' });
    // A refresh that works shows the status as current again.
    getResource.mockImplementation(answer(STATUS));
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() => expect(screen.queryByText('Ingestion status unavailable')).not.toBeInTheDocument());
    expect(screen.queryByText(note)).not.toBeInTheDocument();
    expect(screen.getByLabelText('Ingestion status').parentElement).not.toHaveStyle({ opacity: '0.6' });
  });

  it('says that it reads the status while a slow service has not answered, rather than show nothing; Refresh is busy until it answers', async () => {
    const user = userEvent.setup();
    let answerNow: (status: object) => void = () => {};
    getResource.mockImplementationOnce(() => new Promise((resolve) => (answerNow = resolve)));
    await renderEditor(settings());
    expect(screen.getByText('Reading the ingestion status…')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Refresh' })).toHaveAttribute('aria-busy', 'true');
    await act(async () => answerNow(STATUS));
    expect(await screen.findByText('Log files')).toBeInTheDocument();
    expect(screen.queryByText('Reading the ingestion status…')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Refresh' })).toHaveAttribute('aria-busy', 'false');
    // A Refresh after a failure: the warning stays until the answer, and the button says a read is on its way.
    getResource.mockRejectedValueOnce({ status: 502, data: { error: 'connect ECONNREFUSED 127.0.0.1:7480' } });
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(await screen.findByText('Ingestion status unavailable')).toBeInTheDocument();
    getResource.mockImplementationOnce(() => new Promise((resolve) => (answerNow = resolve)));
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(screen.getByRole('button', { name: 'Refresh' })).toHaveAttribute('aria-busy', 'true');
    await act(async () => answerNow(STATUS));
    await waitFor(() => expect(screen.queryByText('Ingestion status unavailable')).not.toBeInTheDocument());
    expect(screen.getByRole('button', { name: 'Refresh' })).toHaveAttribute('aria-busy', 'false');
  });

  it('lets no overtaken Refresh that fails late mark the newer figures as old', async () => {
    const user = userEvent.setup();
    await renderEditor(settings());
    await screen.findByText('Log files');
    // The first Refresh hangs (a slow service), and fails after a second one has read the status.
    let failLate: (err: unknown) => void = () => {};
    getResource.mockImplementationOnce(() => new Promise((_resolve, reject) => (failLate = reject)));
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() => expect(getResource).toHaveBeenLastCalledWith('ingest/errors', expect.anything()));
    await act(async () => failLate({ status: 504, data: { error: 'the Trailhound service did not answer within 60 s' } }));
    expect(screen.queryByText('Ingestion status unavailable')).not.toBeInTheDocument();
    expect(screen.queryByText(/^As of /)).not.toBeInTheDocument();
    expect(screen.getByLabelText('Ingestion status').parentElement).not.toHaveStyle({ opacity: '0.6' });
  });

  it('asks again once the settings are saved: a fixed URL shows the status, not the failure from before', async () => {
    getResource.mockRejectedValue({ status: 502, data: { error: 'cannot reach http://trailhound:7480: connection refused' } });
    const onOptionsChange = jest.fn();
    const before = settings();
    const { rerender } = render(<ConfigEditor options={before} onOptionsChange={onOptionsChange} />);
    expect(await screen.findByText('Ingestion status unavailable')).toBeInTheDocument();
    // Save & test stored a URL that works: Grafana hands the editor the saved settings, their version one up.
    getResource.mockImplementation(answer(STATUS));
    const saved = { ...before, jsonData: { url: 'http://trailhound-2:7480' }, version: (before.version ?? 1) + 1 };
    rerender(<ConfigEditor options={saved} onOptionsChange={onOptionsChange} />);
    expect(await screen.findByText((56789).toLocaleString())).toBeInTheDocument();
    expect(screen.queryByText('Ingestion status unavailable')).not.toBeInTheDocument();
  });

  it('shows the last poll error', async () => {
    getResource.mockImplementation(answer({ ...STATUS, lastPollError: 'AccessDenied on s3://logs' }));
    await renderEditor(settings());
    expect(await screen.findByText('The last poll failed')).toBeInTheDocument();
    expect(screen.getByText('AccessDenied on s3://logs')).toBeInTheDocument();
  });

  it('refreshes the status and the unreadable files', async () => {
    const user = userEvent.setup();
    await renderEditor(settings());
    const calls = (path: string) => getResource.mock.calls.filter(([p]) => p === path).length;
    await waitFor(() => expect([calls('ingest/status'), calls('ingest/errors')]).toEqual([1, 1]));
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() => expect([calls('ingest/status'), calls('ingest/errors')]).toEqual([2, 2]));
  });

  it('lists the newest unreadable files: when, source, the key by its file name (whole on hover and copied), why', async () => {
    const user = userEvent.setup();
    getResource.mockImplementation(answer(STATUS, { ...UNREADABLE, total: 37 }));
    await renderEditor(settings());
    const list = await screen.findByRole('region', { name: 'Unreadable files' });
    expect(getResource).toHaveBeenCalledWith('ingest/errors', { limit: 5 });
    expect(within(list).getByText('The newest 2 of 37 unreadable files')).toBeInTheDocument();
    const rows = within(list).getAllByRole('row').map((row) => [...row.querySelectorAll('th, td')].map((c) => c.textContent));
    expect(rows).toEqual([
      ['When', 'Source', 'Key', 'Reason'],
      [
        new Date(FAILED_AT).toLocaleString(), 's3://audit-logs/audit/', '…/123456789012_CloudTrail_eu-west-1_20261125T0900Z_Ab12.json.gz',
        'Malformed JSON: unexpected end of input',
      ],
      [new Date('2026-11-24T09:00:00.000Z').toLocaleString(), 's3://audit-logs/audit/', '…/notes.json', 'no Records array'],
    ]);
    expect(within(list).getByText('…/notes.json')).toHaveAttribute('title', 'audit/notes.json');
    // Grafana's ClipboardButton writes to navigator.clipboard (user-event's stand-in here) only in a secure context.
    Object.defineProperty(window, 'isSecureContext', { value: true, configurable: true });
    try {
      await user.click(within(list).getByRole('button', { name: `Copy the key ${KEY}` }));
      expect(await navigator.clipboard.readText()).toBe(KEY);
    } finally {
      delete (window as { isSecureContext?: boolean }).isSecureContext;
    }
    // Where the rest are.
    expect(list).toHaveTextContent('the CloudTrail Ingestion dashboard lists them all, as does trailhound report ingest --errors');
  });

  it('says when a file that ran out of memory is tried again (the service waits longer after each failure)', async () => {
    const RETRY_AT = '2026-11-25T13:00:00.000Z';
    const reason = 'out of memory: DuckDB could not hold this file';
    const outOfMemory = { source: 's3://audit-logs/audit/', key: KEY, reason, kind: 'out-of-memory', failedAt: FAILED_AT, retryAt: RETRY_AT };
    getResource.mockImplementation(answer(STATUS, { total: 2, errors: [outOfMemory, UNREADABLE.errors[1]] }));
    await renderEditor(settings());
    const list = await screen.findByRole('region', { name: 'Unreadable files' });
    const reasons = within(list).getAllByRole('row').slice(1).map((row) => row.querySelectorAll('td')[3].textContent);
    // The second, like every file but one that ran out of memory, has no retryAt: nothing is said of it.
    expect(reasons).toEqual([`${reason}Tried again ${new Date(RETRY_AT).toLocaleString()}`, 'no Records array']);
    expect(list).toHaveTextContent(
      'a failed download at the next poll, one that ran out of memory or whose download was denied when its row says (a backfill tries a denied one at once)'
    );
  });

  it('heads the list plainly when it holds every unreadable file', async () => {
    await renderEditor(settings());
    const list = await screen.findByRole('region', { name: 'Unreadable files' });
    expect(within(list).getByRole('heading')).toHaveTextContent(/^Unreadable files$/);
  });

  it('does not ask for unreadable files when there are none', async () => {
    getResource.mockImplementation(answer({ ...STATUS, errors: 0 }));
    await renderEditor(settings());
    expect(await screen.findByText('Log files')).toBeInTheDocument();
    expect(getResource).not.toHaveBeenCalledWith('ingest/errors', expect.anything());
    expect(screen.queryByRole('region', { name: 'Unreadable files' })).not.toBeInTheDocument();
  });

  it('keeps the status when the list fails, and says to upgrade a service that has no list', async () => {
    const noList = Object.assign(new Error('no list'), { status: 404, data: { error: 'no such endpoint: GET /api/ingest/errors' } });
    getResource.mockImplementation(answer(STATUS, noList));
    await renderEditor(settings());
    expect(await screen.findByText('Log files')).toBeInTheDocument();
    expect(
      await screen.findByText(
        /^Could not list the unreadable files: no such endpoint: GET \/api\/ingest\/errors \(upgrade the Trailhound service\)\. Meanwhile/
      )
    ).toBeInTheDocument();
  });

  it("adds no hint of its own to the backend's unknown-endpoint, which names the versions, whatever its words", async () => {
    const error = 'the Trailhound service at http://trailhound:7480 has no GET /api/ingest/errors: the service is Trailhound 0.1.0, this plugin 0.2.0';
    getResource.mockImplementation(answer(STATUS, Object.assign(new Error('no list'), { status: 404, data: { error, code: 'unknown-endpoint' } })));
    await renderEditor(settings());
    expect(await screen.findByText(`Could not list the unreadable files: ${error}. Meanwhile`, { exact: false })).toBeInTheDocument();
    expect(screen.queryByText(/upgrade the Trailhound service/)).not.toBeInTheDocument();
  });

  it('asks for no list when the status itself fails: its warning says what to fix', async () => {
    getResource.mockRejectedValue({
      status: 502, data: { error: 'the Trailhound service at http://trailhound:7480 rejected the API token (HTTP 401)' },
    });
    await renderEditor(settings());
    expect(await screen.findByText('Ingestion status unavailable')).toBeInTheDocument();
    expect(screen.getByText(/rejected the API token/)).toBeInTheDocument();
    expect(getResource).not.toHaveBeenCalledWith('ingest/errors', expect.anything());
    expect(screen.queryByText(/unreadable files/)).not.toBeInTheDocument();
  });

  it('has no ingestion panel before the data source exists', async () => {
    await renderEditor(settings({ uid: '' }));
    expect(get).not.toHaveBeenCalled();
    expect(screen.queryByText('Ingestion')).not.toBeInTheDocument();
  });
});
