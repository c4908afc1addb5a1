// The variable editor: which dimension to list and an optional search text.
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import type { DataSource } from '../datasource';
import type { VariableQuery } from '../types';
import { VariableQueryEditor } from './VariableQueryEditor';

function renderEditor(initial: VariableQuery | undefined) {
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

  it('leaves a stored query as it is', () => {
    const onChange = renderEditor({ refId: 'v', dimension: 'region' });
    expect(screen.getByRole('combobox', { name: 'Values of' })).toHaveValue('Region');
    expect(onChange).not.toHaveBeenCalled();
  });

  it('chooses the dimension', async () => {
    const user = userEvent.setup();
    const onChange = renderEditor({ refId: 'v', dimension: 'user' });
    await user.click(screen.getByRole('combobox', { name: 'Values of' }));
    await user.click(await screen.findByRole('option', { name: 'Error code' }));
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'v', dimension: 'errorCode' });
  });

  it('offers every dimension the service lists', async () => {
    const user = userEvent.setup();
    renderEditor({ refId: 'v', dimension: 'region' });
    await user.click(screen.getByRole('combobox', { name: 'Values of' }));
    const names = (await screen.findAllByRole('option')).map((o) => o.textContent);
    expect(names).toEqual(['Region', 'Service', 'Event name', 'User', 'IP address', 'Account', 'Error code']);
  });

  it('takes a search text when the box is left', async () => {
    const user = userEvent.setup();
    const onChange = renderEditor({ refId: 'v', dimension: 'eventName' });
    await user.type(screen.getByLabelText(/^Containing/), 'Delete');
    expect(onChange).not.toHaveBeenCalled();
    await user.tab();
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'v', dimension: 'eventName', search: 'Delete' });
  });
});
