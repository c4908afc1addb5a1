import { expect, test } from '@grafana/plugin-e2e';
import { skipWithoutGrafana } from './grafana';

skipWithoutGrafana();

for (const uid of ['trailhound-summary', 'trailhound-trails', 'trailhound-common-searches', 'trailhound-events', 'trailhound-ingestion', 'trailhound-alerts']) {
  test(`dashboard ${uid} loads and its panels show no error`, async ({ gotoDashboardPage, page }) => {
    const dashboard = await gotoDashboardPage({ uid });
    await dashboard.waitForPanelsQueriesToComplete({ scrollAll: true });
    await expect(page.getByTestId('data-testid Panel status error')).toHaveCount(0);
  });
}
