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
  it('starts a new variable on users', () => {
    renderEditor(undefined);
    expect(screen.getByRole('combobox', { name: 'Values of' })).toHaveValue('User');
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
