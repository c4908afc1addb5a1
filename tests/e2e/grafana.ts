// Shared by the specs: skip, with the reason, when no Grafana answers (a spec run directly with playwright).
import { test } from '@grafana/plugin-e2e';

export const GRAFANA_URL = process.env.GRAFANA_URL ?? 'http://localhost:3000';

let reachable: Promise<boolean> | undefined;
export function skipWithoutGrafana(): void {
  // Playwright wants the fixtures argument destructured, even when no fixture is used.
  // eslint-disable-next-line no-empty-pattern
  test.beforeEach(async ({}, testInfo) => {
    reachable ??= fetch(`${GRAFANA_URL}/api/health`, { signal: AbortSignal.timeout(3000) }).then((r) => r.ok, () => false);
    testInfo.skip(!(await reachable), `no Grafana reachable at ${GRAFANA_URL}: docker compose up -d`);
  });
}

/** The provisioned data source (provisioning/datasources/trailhound.yaml). */
export const DATASOURCE = { uid: 'trailhound', name: 'Trailhound' };
