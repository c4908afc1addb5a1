// The `trailhound` command line. Each sub-command lives in commands/<name>.ts and registers itself here.
import { Command } from 'commander';
import { VERSION } from './version';
import { ingestCommand } from './commands/ingest';
import { generateCommand } from './commands/generate';
import { trailsCommand } from './commands/trails';
import { serveCommand } from './commands/serve';
import { reportCommand } from './commands/report';
import { pruneCommand } from './commands/prune';

export function buildCli(): Command {
  const program = new Command('trailhound')
    .description('CloudTrail logs from S3 into DuckDB, and reports over them for Grafana')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)');
  program.addCommand(ingestCommand());
  program.addCommand(generateCommand());
  program.addCommand(trailsCommand());
  program.addCommand(serveCommand());
  program.addCommand(reportCommand());
  program.addCommand(pruneCommand());
  // Commands added whole do not inherit the hint: each names its own help (trailhound ingest --help).
  const hint = (command: Command, name: string) => {
    command.showHelpAfterError(`(run 'trailhound ${name} --help' for usage)`);
    for (const sub of command.commands) hint(sub, `${name} ${sub.name()}`);
  };
  for (const command of program.commands) hint(command, command.name());
  return program;
}

export async function main(argv = process.argv): Promise<void> {
  await buildCli().parseAsync(argv);
}
