// go-plugin's own client reads a log line of the plugin's that formatLine had to fit by leaving fields out.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildHarness, goAvailable, HarnessSession } from './support/harness';
import { ROOT } from './support/build';

const describeWithGo = goAvailable() ? describe : describe.skip;

describeWithGo('go-plugin host reading a line of thousands of fields', () => {
  let session: HarnessSession | undefined;
  let folder: string;

  beforeAll(async () => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'trailhound-many-fields-'));
    const executable = path.join(folder, 'plugin.sh');
    const plugin = path.join(ROOT, 'tests/backend/support/manyFieldsPlugin.ts');
    fs.writeFileSync(executable, `#!/bin/sh\nexec "${path.join(ROOT, 'node_modules/.bin/tsx')}" "${plugin}"\n`, { mode: 0o755 });
    session = await HarnessSession.start(buildHarness(), executable);
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  // Cut to a few characters each, 5 000 fields still made a line of 170 KB: go-plugin wrote its pieces as raw text.
  test('reaches it as one line at its level, the fields that fit kept and the rest counted', async () => {
    const line = await session!.pluginLog((l) => l['@message'] === 'many fields', 20_000);
    expect(line).toMatchObject({ '@level': 'warn', 'field-0': 'value-0' });
    const kept = Object.keys(line!).filter((key) => key.startsWith('field-')).length;
    expect(kept).toBeGreaterThan(1_000);
    expect(line!['…']).toBe(`${5_000 - kept} fields left out: the line would be longer than go-plugin reads`);
    // No piece of a longer line written as raw text.
    expect(session!.stderr.filter((l) => l.includes('field-4999'))).toEqual([]);
  }, 30_000);

  // go-plugin hands the names on to Grafana's log as they are: none must carry a space, `=`, a quote or a line break.
  test('reaches it with each hostile field name as one of _ and no forged field or line', async () => {
    const line = await session!.pluginLog((l) => l['@message'] === 'hostile names', 20_000);
    expect(line).toMatchObject({ '@level': 'info', status: 200, status_500: 1, level_error_msg: 2, a_b: 4 });
    const names = Object.keys(line!).filter((name) => !name.startsWith('@'));
    for (const name of names) expect(name).toMatch(/^[\w.-]+$/);
    // go-plugin adds its own timestamp.
    expect(names.sort()).toEqual(['a_b', 'level_error_msg', 'status', 'status_500', 'timestamp', 'x____level___error____message___forged__']);
    expect(session!.pluginLogs().filter((l) => l['@message'] === 'forged')).toEqual([]);
  }, 30_000);
});
