// The Events report's Group by and Leave out boxes, given what Grafana 12.3's Combobox hands its onChange when the box is cleared: null
// or undefined, whatever its types say. Grafana 13's Combobox here passes neither on, so the real Combobox is wrapped
// to keep the props it was given, and its onChange is called as 12.3 would call it.
import { act, screen } from '@testing-library/react';
import type { ComboboxOption } from '@grafana/ui';
import { setTemplateSrv } from '@grafana/runtime';
import { DataSource } from '../datasource';
import { fakeTemplateSrv } from '../testing/fakeTemplateSrv';
import { renderQueryEditor } from '../testing/renderQueryEditor';
import { instanceSettings } from '../testing/settings';

const comboboxProps = new Map<string, { onChange: (option: ComboboxOption<string> | null | undefined) => void }>();

jest.mock('@grafana/ui', () => {
  const actual = jest.requireActual('@grafana/ui');
  const Combobox = (props: { id?: string; onChange: (option: unknown) => void }) => {
    if (props.id) comboboxProps.set(props.id, props);
    return actual.Combobox(props);
  };
  return { ...actual, Combobox };
});

beforeEach(() => setTemplateSrv(fakeTemplateSrv({})));

describe('EventsQueryEditor', () => {
  it.each([null, undefined])('keeps what it groups by when the box hands over %s', (nothing) => {
    const { latest, onChange } = renderQueryEditor(new DataSource(instanceSettings()), { refId: 'A', groupBy: 'region' });
    const box = screen.getByRole('combobox', { name: 'Group by' });
    act(() => comboboxProps.get(box.id)!.onChange(nothing));
    expect(onChange).not.toHaveBeenCalled();
    expect(latest()).toEqual({ refId: 'A', groupBy: 'region' });
    expect(screen.getByRole('combobox', { name: 'Group by' })).toHaveValue('Region');
  });

  it.each([null, undefined])('adds no Leave out field when the box hands over %s', (nothing) => {
    const { onChange } = renderQueryEditor(new DataSource(instanceSettings()), { refId: 'A' });
    const fields = document.querySelectorAll('label[for*="-exclude-"]').length;
    const box = screen.getByRole('combobox', { name: /^Leave out/ });
    act(() => comboboxProps.get(box.id)!.onChange(nothing));
    expect(onChange).not.toHaveBeenCalled();
    expect(document.querySelectorAll('label[for*="-exclude-"]')).toHaveLength(fields);
  });
});
