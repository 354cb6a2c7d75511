/**
 * The engine's container JSON read as ISLET's InstanceInfo: one inspect (`GET /containers/{id}/json`) or one
 * entry of a listing (`GET /containers/json`). An unknown state reads as `dead`; an exit code only for a
 * container that has exited.
 */
import type { InstanceInfo, InstanceState } from '../runtime-driver.ts';

const STATES: ReadonlySet<string> = new Set<InstanceState>(['created', 'running', 'paused', 'restarting', 'exited', 'dead', 'removing']);

export interface InspectJson {
  Id: string;
  Name: string;
  Created: string;
  State: { Status: string; ExitCode: number; StartedAt?: string };
  Config: { Image: string; Labels: Record<string, string> | null };
}

export interface ListJson {
  Id: string;
  Names: string[] | null;
  Image: string;
  State: string;
  Status: string;
  Labels: Record<string, string> | null;
  Created: number;
}

function toState(s: string): InstanceState {
  return (STATES.has(s) ? s : 'dead') as InstanceState;
}

/** An inspect's answer; `startedAt` only when the engine has started it (an unstarted one says year 0001). */
export function fromInspect(j: InspectJson): InstanceInfo {
  const state = toState(j.State.Status);
  return {
    id: j.Id,
    name: j.Name.replace(/^\//, ''),
    image: j.Config.Image,
    state,
    labels: j.Config.Labels ?? {},
    createdAt: new Date(j.Created),
    ...(state === 'exited' || state === 'dead' ? { exitCode: j.State.ExitCode } : {}),
    ...(j.State.StartedAt && !j.State.StartedAt.startsWith('0001') ? { startedAt: new Date(j.State.StartedAt) } : {}),
  };
}

/** A listing's entry: the exit code is read from its status text ("Exited (137) 2 minutes ago"). */
export function fromList(c: ListJson): InstanceInfo {
  const state = toState(c.State);
  const code = /^Exited \((-?\d+)\)/.exec(c.Status)?.[1];
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? '').replace(/^\//, ''),
    image: c.Image,
    state,
    labels: c.Labels ?? {},
    createdAt: new Date(c.Created * 1000),
    ...((state === 'exited' || state === 'dead') && code !== undefined ? { exitCode: Number(code) } : {}),
  };
}
