// The dashboards through the frontend's own applyTemplateVariables (src/plugin/templateVariables.ts), with a
// TemplateSrv stand-in that behaves as Grafana's does for "All" (a custom allValue comes back raw, unformatted).
// What leaves the browser must be a valid query model with plain values: the backend and the service never
// see a template variable.
import fs from 'node:fs';
import path from 'node:path';
import type { TemplateSrv } from '@grafana/runtime';
import { resolveQuery } from '../../src/model/query';
import { ROOT, defaultSelection, loadDashboards, queryPanels, sampleSelections, strings, templateSrv, MODEL_KEYS, type Json } from './support';

const FRONTEND = path.join(ROOT, 'src/plugin/templateVariables.ts');
const present = fs.existsSync(FRONTEND);
if (!present) console.warn('dashboards through the frontend SKIPPED: src/plugin/templateVariables.ts does not exist yet');
const describeIfFrontend = present ? describe : describe.skip;

describeIfFrontend('dashboards through the frontend’s applyTemplateVariables', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { expandQuery } = require(FRONTEND) as typeof import('../../src/plugin/templateVariables');
  const dashboards = loadDashboards();

  const expanded = (target: Json, srv: ReturnType<typeof templateSrv>) => {
    const q = expandQuery(target as any, srv as unknown as TemplateSrv);
    return Object.fromEntries(MODEL_KEYS.filter((k) => (q as Json)[k] !== undefined).map((k) => [k, (q as Json)[k]]));
  };

  const byFile = dashboards.map(({ file, dashboard }) => [file, dashboard] as const);
  test.each(byFile)('%s: every target, with any sample variable values, becomes a valid model with no variables left', (_f, dashboard) => {
    for (const selection of sampleSelections(dashboard)) {
      const srv = templateSrv(dashboard, selection);
      for (const p of queryPanels(dashboard)) {
        for (const t of p.targets) {
          const model = expanded(t, srv);
          // The Events dashboard's selectors ($groupBy, $aggregate, $status, $readOnly) are single-value variables in
          // plain string fields: applyTemplateVariables must replace them as it does resourceId, not only filters.
          const leftover = strings(model).filter((s) => s.includes('$'));
          expect({ panel: p.title, leftover }).toEqual({ panel: p.title, leftover: [] });
          expect(() => resolveQuery(model)).not.toThrow();
        }
      }
    }
  });

  test('"All" (the blank allValue) becomes no filter at all; picked values a list', () => {
    const { dashboard } = dashboards.find(({ dashboard }) => dashboard.uid === 'trailhound-events')!;
    const target = queryPanels(dashboard)[0].targets[0];
    const all = expanded(target, templateSrv(dashboard, defaultSelection(dashboard)));
    expect(resolveQuery({ filters: all.filters }).filters).toEqual({});
    const picked = expanded(target, templateSrv(dashboard, { ...defaultSelection(dashboard), user: ['alice', 'bob'], region: ['eu-west-1'] }));
    expect(resolveQuery({ filters: picked.filters }).filters).toEqual({ user: ['alice', 'bob'], region: ['eu-west-1'] });
  });
});
