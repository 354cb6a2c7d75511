/**
 * `islet broadcast [--account A | --environment E] <message>`: a message on the
 * terminals of the trainees of the running server (every one, one account's, or
 * one environment's shells), through its control socket (src/control/). Exit 0 and
 * how many shells and menu sessions it reached; CONTROL_UNAVAILABLE (exit 3) when
 * no server runs on the data directory.
 */
import { parseArgs } from 'node:util';
import { IsletError } from '../../core/islet-error.ts';
import { controlRequest } from '../../control/control-client.ts';
import { optionValue } from '../options.ts';

export const BROADCAST_HELP =
  'Show a message on the terminals of trainees of the running server: broadcast [--account A | --environment E] MESSAGE (--data of that server)';

export async function broadcastCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { account: { type: 'string' }, environment: { type: 'string' }, data: { type: 'string' }, config: { type: 'string' } },
  });
  const message = positionals.join(' ');
  if (!message.trim() || (values.account && values.environment)) {
    console.error('usage: islet broadcast [--account A | --environment E] MESSAGE');
    return 3;
  }
  const dataDir = optionValue('data', values);
  const r = await controlRequest(dataDir, {
    op: 'broadcast',
    message,
    ...(values.account ? { account: values.account } : {}),
    ...(values.environment ? { environment: values.environment } : {}),
  });
  if (r.ok !== true) throw new IsletError(String(r.code ?? 'ADMIN_INVALID') as 'ADMIN_INVALID', String(r.message ?? 'refused'));
  console.log(`broadcast shown in ${Number(r.shells)} shell(s) and ${Number(r.menus)} menu session(s)`);
  return 0;
}
