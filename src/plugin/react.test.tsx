// Each run of the plugin's tests has the React it is meant to (jest.config.js): 18, which the plugin is built on, and
// 19, which Grafana 13 runs it with. Without this, a mapping that stopped applying would run the second on 18 unseen.
import { version } from 'react';
import { version as domVersion } from 'react-dom';
import { render, screen } from '@testing-library/react';
import { Combobox } from '@grafana/ui';

declare const reactMajor: number;

test('the React this run is meant to have, Grafana UI\'s too', () => {
  expect(Number(version.split('.')[0])).toBe(reactMajor);
  expect(domVersion).toBe(version);
  // Grafana UI renders with it: one React only, or its hooks would throw ("Invalid hook call").
  render(<Combobox options={[{ value: 'eu-west-1' }]} value="eu-west-1" onChange={() => {}} />);
  expect(screen.getByRole('combobox')).toHaveValue('eu-west-1');
});
