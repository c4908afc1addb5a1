// End-to-end specs with @grafana/plugin-e2e against a Grafana that has Trailhound provisioned
// (`npm run build && docker compose up -d`). Run with `npm run e2e`; without a Grafana they are skipped.
import type { PluginOptions } from '@grafana/plugin-e2e';
import { defineConfig, devices } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';

// Debian's chromium where it is installed; otherwise Playwright's own (npx playwright install chromium).
const chromium = process.env.CHROMIUM_PATH ?? (fs.existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);

export default defineConfig<PluginOptions>({
  testDir: './tests/e2e',
  testMatch: /.*\.spec\.ts/,
  fullyParallel: false,
  reporter: 'list',
  use: {
    baseURL: process.env.GRAFANA_URL ?? 'http://localhost:3000',
    trace: 'retain-on-failure',
    launchOptions: chromium ? { executablePath: chromium } : {},
    provisioningRootDir: path.join(__dirname, 'provisioning'),
  },
  projects: [
    // plugin-e2e's own login step: saves the admin session for the specs.
    { name: 'auth', testDir: './node_modules/@grafana/plugin-e2e/dist/auth', testMatch: [/.*\.js/] },
    {
      name: 'run-tests',
      use: { ...devices['Desktop Chrome'], storageState: 'playwright/.auth/admin.json' },
      dependencies: ['auth'],
    },
  ],
});
