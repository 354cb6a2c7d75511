/**
 * `islet dataset ls [--json] | add <name> <path> | rm <name>`: the datasets
 * directory (`<data>/datasets/`), mounted read-only at /datasets/<name> into
 * environments that list a dataset and into `islet run -r <name>`.
 */
import { parseArgs } from 'node:util';
import { addDataset, listDatasets, removeDataset } from '../../catalogue/datasets.ts';
import { datasetsDir, ensureDataDir } from '../../catalogue/paths.ts';
import { optionValue } from '../options.ts';

export const DATASET_HELP =
  'Datasets (pcaps, logs, exercise files) mounted read-only into environments and islet run: islet dataset ls | add <name> <path> | rm <name>';
const USAGE = 'usage: islet dataset ls [--json] | add <name> <path> | rm <name>   (--data DIR / ISLET_DATA: the data directory holding datasets/)';

export async function datasetCommand(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === '--help' || verb === '-h') {
    console.log(USAGE);
    return 0;
  }
  const { values: f, positionals: a } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: { json: { type: 'boolean' }, data: { type: 'string' } },
  });
  const dir = datasetsDir(ensureDataDir(optionValue('data', { data: f.data })));
  if (verb === 'ls' && a.length === 0) {
    const list = listDatasets(dir);
    if (f.json) console.log(JSON.stringify(list, null, 2));
    else
      for (const d of list)
        console.log(`${d.name.padEnd(24)} ${String(d.files).padStart(5)} files ${(d.bytes / 1024).toFixed(0).padStart(10)} KiB  /datasets/${d.name}`);
    return 0;
  }
  if (verb === 'add' && a.length === 2) {
    const d = addDataset(dir, a[0]!, a[1]!);
    console.log(`added ${d.name}: ${d.files} files, ${d.bytes} bytes (mounted at /datasets/${d.name})`);
    return 0;
  }
  if (verb === 'rm' && a.length === 1) {
    removeDataset(dir, a[0]!);
    console.log(`removed ${a[0]}`);
    return 0;
  }
  console.error(USAGE);
  return 3;
}
