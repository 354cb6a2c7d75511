/**
 * What the control socket (control-socket.ts) lets an admin command do on the
 * running server: today one operation, `broadcast`.
 */
import { IsletError } from '../core/islet-error.ts';
import type { Broadcaster } from '../sessions/broadcaster.ts';
import type { ControlHandler } from './control-socket.ts';

const optionalName = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v.slice(0, 200) : undefined);

export function controlOps(broadcaster: Broadcaster): ControlHandler {
  return async (req) => {
    if (req.op !== 'broadcast') throw new IsletError('ADMIN_INVALID', `unknown control operation ${String(req.op).slice(0, 40)}`);
    if (typeof req.message !== 'string') throw new IsletError('BROADCAST_INVALID', 'The message is empty.');
    const account = optionalName(req.account);
    const environment = optionalName(req.environment);
    const r = await broadcaster.send(req.message, { ...(account ? { account } : {}), ...(environment ? { environment } : {}) }, 'admin');
    return { shells: r.shells, menus: r.menus };
  };
}
