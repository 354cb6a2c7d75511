/**
 * `islet recordings list [--account A] [--json]` and `islet recordings export <id|file> [--v2] [-o out]`:
 * the session recordings of the data directory (src/recordings/, docs/recordings.md). `list` shows each
 * recording's state (complete, live, partial = its server was killed), size, start and duration; `export`
 * writes a recording's complete lines as they are (v3), or converted for older players (`--v2`).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { recordingsDir } from '../../compose.ts';
import { castV3ToV2 } from '../../recordings/export-v2.ts';
import { listRecordings, playableText, recordingPath } from '../../recordings/recording-files.ts';
import { commonOptions, optionValue } from '../options.ts';

export const RECORDINGS_HELP =
  'Session recordings: list [--account A] [--json] (state: complete, live or partial; truncated), export <account/file.cast | path> [--v2] [-o out]';

function size(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export async function recordingsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...Object.fromEntries(Object.values(commonOptions).map((o) => [o.flag.slice(2), { type: 'string' as const }])),
      account: { type: 'string' },
      json: { type: 'boolean' },
      v2: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
    },
  });
  const dir = recordingsDir(optionValue('data', values));
  const [sub, target] = positionals;
  if (sub === 'list') {
    const list = await listRecordings(dir, values.account ? { account: values.account } : {});
    if (values.json) {
      console.log(JSON.stringify(list, null, 2));
      return 0;
    }
    for (const r of list) {
      const flags = [r.state, ...(r.truncated ? ['truncated'] : []), ...(r.input ? ['input'] : [])].join(',');
      console.log(`${r.id}  ${r.start.toISOString()}  ${`${r.seconds}s`.padStart(8)}  ${size(r.bytes).padStart(10)}  ${r.door.padEnd(3)}  ${flags}`);
    }
    console.log(`${list.length} recording(s)`);
    return 0;
  }
  if (sub === 'export' && target) {
    const path = recordingPath(dir, target) ?? (existsSync(target) ? target : undefined);
    if (!path || !existsSync(path)) {
      console.error(`islet: no recording ${JSON.stringify(target)} (see islet recordings list)`);
      return 1;
    }
    const v3 = await playableText(path);
    const text = values.v2 ? castV3ToV2(v3) : v3;
    if (values.output) writeFileSync(values.output, text, { mode: 0o600 });
    else process.stdout.write(text);
    return 0;
  }
  console.error(`usage: islet recordings list [--account A] [--json] | islet recordings export <file> [--v2] [-o out]`);
  return 3;
}
