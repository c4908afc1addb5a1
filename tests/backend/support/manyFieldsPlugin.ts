// The plugin as Grafana runs it (src/backend/main.ts, under tsx), that first writes one log line of thousands of
// fields: no code path of the plugin logs so many, and go-plugin is what must read the line whole.
import { formatLine } from '../../../src/backend/log';
import '../../../src/backend/main';

process.stderr.write(`${formatLine('warn', 'many fields', Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`field-${i}`, `value-${i}`])))}\n`);
