// The annotation editor offers only what chooses the events; what it stores is what the annotation runs.
import { setTemplateSrv } from '@grafana/runtime';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { annotationSupport } from '../annotations';
import { DataSource } from '../datasource';
import { fakeTemplateSrv } from '../testing/fakeTemplateSrv';
import { renderQueryEditor } from '../testing/renderQueryEditor';
import { instanceSettings } from '../testing/settings';
import { AnnotationQueryEditor } from './AnnotationQueryEditor';

beforeEach(() => {
  setTemplateSrv(fakeTemplateSrv({}));
  jest.spyOn(DataSource.prototype, 'getResource').mockResolvedValue({ values: [{ value: 'StopLogging', count: 3 }] });
});
afterEach(() => jest.restoreAllMocks());

const render = (query = {}) => renderQueryEditor(new DataSource(instanceSettings()), { refId: 'Anno', ...query }, AnnotationQueryEditor);

describe('AnnotationQueryEditor', () => {
  it('is the editor Grafana shows for annotations', () => {
    expect(annotationSupport.QueryEditor).toBe(AnnotationQueryEditor);
  });

  it('offers no report type, format or grouping, which an annotation would ignore', () => {
    render();
    expect(screen.queryByRole('radiogroup', { name: 'Report type' })).not.toBeInTheDocument();
    expect(screen.queryByRole('radiogroup', { name: 'Format' })).not.toBeInTheDocument();
    expect(screen.queryByRole('combobox', { name: 'Group by' })).not.toBeInTheDocument();
    expect(screen.getByText(/Each matching event becomes a mark/)).toBeInTheDocument();
  });

  it('stores the filters and limit that the annotation then runs with', async () => {
    const user = userEvent.setup();
    const { latest, onRunQuery } = render();
    await user.click(within(screen.getByRole('radiogroup', { name: 'Status' })).getByRole('radio', { name: 'Error' }));
    await user.click(screen.getByRole('combobox', { name: /Event name/ }));
    await user.click(await screen.findByRole('option', { name: /StopLogging/ }));
    const limit = screen.getByRole('textbox', { name: /Limit/ });
    await user.type(limit, '50{Enter}');
    expect(latest()).toMatchObject({ status: 'error', filters: { eventName: ['StopLogging'] }, limit: 50 });
    expect(onRunQuery).toHaveBeenCalled();
    const request = annotationSupport.prepareQuery!({ name: 'a', enable: true, iconColor: 'red', target: latest() });
    expect(request).toMatchObject({ queryType: 'events', format: 'list', status: 'error', filters: { eventName: ['StopLogging'] }, limit: 50 });
  });

  it('shows and sets what the time range applies to, which the annotation and its value lookups then go by', async () => {
    const user = userEvent.setup();
    // Saved by arrival time (an alert's view of the same events): the editor says so instead of applying it unseen.
    const { latest } = render({ timeField: 'arrival' });
    const radio = (name: string) => within(screen.getByRole('radiogroup', { name: 'Time' })).getByRole('radio', { name });
    expect(radio('Arrival time')).toBeChecked();
    await user.click(radio('Event time'));
    expect(latest().timeField).toBe('event');
    await user.click(screen.getByRole('combobox', { name: /Event name/ }));
    await screen.findByRole('option', { name: /StopLogging/ });
    expect(DataSource.prototype.getResource).toHaveBeenLastCalledWith('values/eventName', expect.objectContaining({ timeField: 'event' }));
    await user.keyboard('{Escape}');
    await user.click(radio('Arrival time'));
    const request = annotationSupport.prepareQuery!({ name: 'a', enable: true, iconColor: 'red', target: latest() });
    expect(request).toMatchObject({ queryType: 'events', format: 'list', timeField: 'arrival' });
  });

  it("shows an annotation's exclusions, takes new ones, and runs with them", async () => {
    const user = userEvent.setup();
    const { latest } = render({ exclude: { eventName: ['HeadBucket'] } });
    expect(within(screen.getByText('Event name is not', { selector: 'label' }).parentElement!).getByText('HeadBucket')).toBeInTheDocument();
    await user.click(screen.getByRole('combobox', { name: /^Leave out/ }));
    await user.click(await screen.findByRole('option', { name: 'Event category' }));
    await user.type(screen.getByLabelText('Event category is not'), 'Data');
    await user.click(await screen.findByRole('option', { name: /^Data/ }));
    const exclude = { eventName: ['HeadBucket'], eventCategory: ['Data'] };
    expect(latest().exclude).toEqual(exclude);
    await user.click(within(screen.getByRole('radiogroup', { name: 'Status' })).getByRole('radio', { name: 'Error' }));
    const request = annotationSupport.prepareQuery!({ name: 'a', enable: true, iconColor: 'red', target: latest() });
    expect(request).toMatchObject({ status: 'error', exclude });
  });
  it('takes away a Leave out field added but left empty when a Common Search is applied', async () => {
    const user = userEvent.setup();
    const { latest } = render();
    await user.click(screen.getByRole('combobox', { name: /^Leave out/ }));
    await user.click(await screen.findByRole('option', { name: 'Event name' }));
    expect(screen.getByLabelText('Event name is not')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Apply: Unauthorized access attempts' }));
    expect(latest()).toMatchObject({ status: 'unauthorized' });
    expect(latest().exclude).toBeUndefined();
    expect(screen.queryByLabelText('Event name is not')).not.toBeInTheDocument();
  });

  it('takes away a Leave out field added but left empty when the annotation is replaced from outside', async () => {
    const user = userEvent.setup();
    const { replace } = render();
    await user.click(screen.getByRole('combobox', { name: /^Leave out/ }));
    await user.click(await screen.findByRole('option', { name: 'Event name' }));
    expect(screen.getByLabelText('Event name is not')).toBeInTheDocument();
    replace({ refId: 'Anno', status: 'error' });
    expect(screen.queryByLabelText('Event name is not')).not.toBeInTheDocument();
    expect(within(screen.getByRole('radiogroup', { name: 'Status' })).getByRole('radio', { name: 'Error' })).toBeChecked();
  });
});
