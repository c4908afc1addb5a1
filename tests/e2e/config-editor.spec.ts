import { expect, test } from '@grafana/plugin-e2e';
import { DATASOURCE, skipWithoutGrafana } from './grafana';

skipWithoutGrafana();

test('the provisioned data source passes Save & test (the backend reaches the service)', async ({ gotoDataSourceConfigPage, page }) => {
  const configPage = await gotoDataSourceConfigPage(DATASOURCE.uid);
  await expect(page.getByText('Service URL')).toBeVisible();
  await expect(configPage.saveAndTest()).toBeOK();
});

test('a new data source asks for the service URL and token', async ({ createDataSourceConfigPage, page }) => {
  await createDataSourceConfigPage({ type: 'trailhound-cloudtrail-datasource' });
  await expect(page.getByText('Service URL')).toBeVisible();
  await expect(page.getByText('Token', { exact: true })).toBeVisible();
});
