/**
 * The catalogue's commands (ContainNSM's verbs) for the command table in
 * src/cli/run-cli.ts; each parses its own arguments.
 */
import { IMAGE_HELP, imageCommand } from './image.ts';
import { RUN_HELP, runCommand } from './run.ts';
import { GROUPRUN_HELP, grouprunCommand } from './grouprun.ts';
import { DATASET_HELP, datasetCommand } from './dataset.ts';

const unused = (): Promise<number> => Promise.resolve(3);

export const catalogueCommands = {
  image: { help: IMAGE_HELP, run: unused, raw: imageCommand },
  run: { help: RUN_HELP, run: unused, raw: runCommand },
  grouprun: { help: GROUPRUN_HELP, run: unused, raw: grouprunCommand },
  dataset: { help: DATASET_HELP, run: unused, raw: datasetCommand },
};
