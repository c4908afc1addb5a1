// The `trailhound` command line. Each sub-command lives in commands/<name>.ts and registers itself here; each loads the
// libraries only it needs (DuckDB, the AWS SDK, fastify) when it runs, through commands/lazy.ts, so that --help is quick.
import { Command, type Option } from 'commander';
import { VERSION } from './version';
import { ingestCommand } from './commands/ingest';
import { generateCommand } from './commands/generate';
import { trailsCommand } from './commands/trails';
import { serveCommand } from './commands/serve';
import { reportCommand } from './commands/report';
import { pruneCommand } from './commands/prune';
import { withEnvironment } from './commands/options';

/** Every error the command prints starts `trailhound: `, as main's do: commander's usage errors too, which it starts with `error: `. */
const sameErrorPrefix = { outputError: (text: string, write: (text: string) => void) => write(text.replace(/^error: /, 'trailhound: ')) };

export function buildCli(): Command {
  const program = new Command('trailhound')
    .description('CloudTrail logs from S3 into DuckDB, and reports over them for Grafana')
    .version(VERSION)
    // As each command's hint names its own help: the command to run, not "with --help" of nothing in particular.
    .showHelpAfterError("(run 'trailhound --help' for usage)")
    .configureOutput(sameErrorPrefix);
  withEnvironment(program, ['TRAILHOUND_DEBUG']);
  program.addCommand(ingestCommand());
  program.addCommand(generateCommand());
  program.addCommand(trailsCommand());
  program.addCommand(serveCommand());
  program.addCommand(reportCommand());
  program.addCommand(pruneCommand());
  // commander checks required options before unknown ones: `ingest --sorce logs` said "required option '--source
  // <source>' not specified" and hid the typo. They are checked after the unknown ones instead, before the action.
  const required = new Set<Option>();
  // Commands added whole do not inherit the hint: each names its own help (trailhound ingest --help).
  const hint = (command: Command, name: string) => {
    command.showHelpAfterError(`(run 'trailhound ${name} --help' for usage)`).configureOutput(sameErrorPrefix);
    for (const option of command.options.filter((o) => o.mandatory)) {
      // Commander's help does not say which options are required: only the error did.
      option.description = `required: ${option.description}`;
      required.add(option.makeOptionMandatory(false));
    }
    for (const sub of command.commands) hint(sub, `${name} ${sub.name()}`);
  };
  for (const command of program.commands) hint(command, command.name());
  program.hook('preAction', (_program, action) => {
    const missing = action.options.find((o) => required.has(o) && action.getOptionValue(o.attributeName()) === undefined);
    if (missing) action.error(`error: required option '${missing.flags}' not specified`, { code: 'commander.missingMandatoryOptionValue' });
  });
  return program;
}

export async function main(argv = process.argv): Promise<void> {
  await buildCli().parseAsync(argv);
}
