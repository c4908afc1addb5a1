import { runCli } from '../../tests/support/cli';

const usage = (command: string) => (command ? `\\(run 'trailhound ${command} --help' for usage\\)` : '\\(run with --help for usage\\)');

// A mistake in a sub-command's flags says where its usage is, as one in the command itself does.
test.each([
  [['ingets'], "error: unknown command 'ingets'\n\\(Did you mean ingest\\?\\)", ''],
  [['ingest', '--source', 'logs', '--dayz', '3'], "error: unknown option '--dayz'\n\\(Did you mean --days\\?\\)", 'ingest'],
  [['generate'], "error: required option '--out <dir>' not specified", 'generate'],
  [['trails', 'lst'], "error: unknown command 'lst'\n\\(Did you mean list\\?\\)", 'trails'],
  [['trails', 'sync', '--regoin', 'eu-west-1'], "error: unknown option '--regoin'\n\\(Did you mean --region\\?\\)", 'trails sync'],
])('%j: the error, and the help to read', async (args, error, command) => {
  const r = await runCli(args);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(new RegExp(`^${error}\n${usage(command)}\n$`));
}, 30_000);
