import { expect, test } from '@grafana/plugin-e2e';
import { DATASOURCE, skipWithoutGrafana } from './grafana';

skipWithoutGrafana();

test('the query editor shows every control and its query runs', async ({ panelEditPage }) => {
  await panelEditPage.datasource.set(DATASOURCE.name);
  const row = panelEditPage.getQueryEditorRow('A');
  for (const label of ['Report type', 'Format', 'Aggregate']) await expect(row.getByLabel(label)).toBeVisible();
  for (const text of ['Group by', 'Status', 'Region', 'Who started an EC2 instance']) await expect(row.getByText(text).first()).toBeVisible();
  await expect(panelEditPage.refreshPanel()).toBeOK();
});

test('a Common Search fills the query: unauthorized access attempts', async ({ panelEditPage }) => {
  await panelEditPage.datasource.set(DATASOURCE.name);
  const row = panelEditPage.getQueryEditorRow('A');
  await row.getByRole('button', { name: 'Apply' }).nth(1).click();
  await expect(row.getByRole('radio', { name: 'Unauthorized' })).toBeChecked();
  await expect(panelEditPage.refreshPanel()).toBeOK();
});
