import { expect, test } from '@grafana/plugin-e2e';
import { skipWithoutGrafana } from './grafana';

skipWithoutGrafana();

test('the failed-authorization rule previews (one instance per user and account)', async ({ readProvisionedAlertRule, gotoAlertRuleEditPage }) => {
  const rule = await readProvisionedAlertRule({ fileName: 'trailhound-rules.yaml' });
  const editPage = await gotoAlertRuleEditPage({ uid: rule.uid });
  await expect(editPage.evaluate()).toBeOK();
});
