/**
 * The `islet` command (bin/islet, npm start). `islet serve` first re-executes itself under the malloc settings for
 * full-cost password hashing (src/os/kdf-malloc.ts), before the command modules load, so that restart costs one
 * bare start of Node; then every command runs from run-cli.ts.
 */
import { reexecWithKdfMalloc } from '../os/kdf-malloc.ts';

if (process.argv[2] === 'serve') reexecWithKdfMalloc();
const { runCli } = await import('./run-cli.ts');

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const e = err as { code?: string; message?: string };
    console.error(`islet: ${e.code ? `[${e.code}] ` : ''}${e.message ?? String(err)}`);
    process.exitCode = 3;
  },
);
