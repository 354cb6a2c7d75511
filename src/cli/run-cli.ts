/**
 * `islet` command line: a typed table of commands; --help is generated from it. Run by src/cli/islet.ts.
 */
import { parseArgs } from 'node:util';
import { commonOptions } from './options.ts';
import { serve } from './commands/serve.ts';
import { check } from './commands/check.ts';
import { adminCommands } from './commands/admin.ts';
import { catalogueCommands } from './commands/catalogue-commands.ts';
import { RECORDINGS_HELP, recordingsCommand } from './commands/recordings.ts';
import { BROADCAST_HELP, broadcastCommand } from './commands/broadcast.ts';
import { INSTRUCTOR_HELP, instructorCommand } from './commands/instructor.ts';

type Flags = Record<string, string | boolean | undefined>;
/** `raw` commands parse their own arguments (their own flags, `--` before a command to run). */
const commands: Record<string, { help: string; run: (f: Flags, args: string[]) => Promise<number>; raw?: (argv: string[]) => Promise<number> }> = {
  serve: {
    help: 'Run ISLET: the SSH front door and the session engine (--take-over: adopt containers of another data directory found under this instance name instead of refusing to start)',
    run: (f) => serve(f),
  },
  check: {
    help: 'Validate config files, the engine and images (exit 0 OK, 1 warning, 2 critical, 3 unknown); --no-engine skips the engine; --effective ENV [--json] shows what a container of ENV gets and where each setting came from',
    run: (f) => check(f),
  },
  ...adminCommands,
  ...catalogueCommands,
  recordings: { help: RECORDINGS_HELP, run: () => Promise.resolve(3), raw: recordingsCommand },
  broadcast: { help: BROADCAST_HELP, run: () => Promise.resolve(3), raw: broadcastCommand },
  instructor: { help: INSTRUCTOR_HELP, run: () => Promise.resolve(3), raw: instructorCommand },
};

function help(): string {
  const cmds = Object.entries(commands)
    .map(([n, c]) => `  ${n.padEnd(8)} ${c.help}`)
    .join('\n');
  const opts = Object.values(commonOptions)
    .map((o) => `  ${o.flag.padEnd(12)} ${o.help} (env ${o.env}, default ${o.default})`)
    .join('\n');
  return `Usage: islet <command> [options]\n\nCommands:\n${cmds}\n\nOptions:\n${opts}\n`;
}

/** Runs one command line (without `node` and the script); resolves with the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const cmd = name ? commands[name] : undefined;
  if (!cmd) {
    process.stdout.write(help());
    return name === undefined || name === '--help' || name === 'help' ? 0 : 3;
  }
  if (cmd.raw) return cmd.raw(rest);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: {
      // Every shared option (options.ts) is a string flag: declared once, so a new one cannot be forgotten here.
      ...Object.fromEntries(Object.values(commonOptions).map((o) => [o.flag.slice(2), { type: 'string' as const }])),
      'no-engine': { type: 'boolean' },
      effective: { type: 'string' },
      'dry-run': { type: 'boolean' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
      'take-over': { type: 'boolean' },
      // islet accounts create (commands/accounts-create.ts)
      ...Object.fromEntries(['count', 'prefix', 'days', 'environments', 'sheet', 'csv', 'address', 'url'].map((k) => [k, { type: 'string' as const }])),
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(help());
    return 0;
  }
  return cmd.run(values as Flags, positionals);
}
