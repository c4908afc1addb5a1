// The plugin as Grafana runs it (src/backend/main.ts, under tsx), that first writes one log line of thousands of
// fields, and one of hostile field names: no code path of the plugin logs such lines, and go-plugin is what must read them.
import { formatLine } from '../../../src/backend/log';
import '../../../src/backend/main';

process.stderr.write(`${formatLine('warn', 'many fields', Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`field-${i}`, `value-${i}`])))}\n`);
const hostile = { status: 200, 'status 500': 1, 'level=error msg': 2, 'x\n{"@level":"error","@message":"forged"}': 3, 'a"b': 4 };
process.stderr.write(`${formatLine('info', 'hostile names', hostile)}\n`);
