/**
 * The manager's JSON for services and tasks, as far as the Swarm driver reads it, and what an instance's
 * info takes from it. Only the fields read are typed: the engine sends many more.
 */
import type { InstanceInfo } from '../runtime-driver.ts';
import { LABEL_SWARM_NAME } from './service-spec.ts';

export interface TaskJson {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  CreatedAt: string;
  DesiredState: string;
  Status: { State: string; Err?: string; ContainerStatus?: { ContainerID?: string; ExitCode?: number } };
}

export interface ServiceJson {
  ID: string;
  CreatedAt: string;
  Version: { Index: number };
  Spec: {
    Name: string;
    Labels?: Record<string, string>;
    TaskTemplate: { ContainerSpec: { Image: string }; ForceUpdate?: number };
    Mode: { Replicated?: { Replicas?: number } };
  };
}

/** An instance's state from its task's state, when no container can be asked (none yet, or none known). */
export const TASK_STATE: Readonly<Record<string, InstanceInfo['state']>> = {
  new: 'created',
  allocated: 'created',
  pending: 'created',
  assigned: 'created',
  accepted: 'created',
  preparing: 'created',
  ready: 'created',
  starting: 'created',
  running: 'running',
  complete: 'exited',
  shutdown: 'exited',
  failed: 'exited',
  rejected: 'dead',
  orphaned: 'dead',
  remove: 'removing',
};

/** The instance name of a service: its label (the trainee's canonical name), else the service name. */
export function instanceName(svc: ServiceJson): string {
  return svc.Spec.Labels?.[LABEL_SWARM_NAME] ?? svc.Spec.Name;
}

/** What an instance's info takes from its service. */
export function serviceInfo(svc: ServiceJson): Pick<InstanceInfo, 'id' | 'name' | 'image' | 'labels' | 'createdAt'> {
  return {
    id: svc.ID,
    name: instanceName(svc),
    image: svc.Spec.TaskTemplate.ContainerSpec.Image.replace(/@sha256:[0-9a-f]+$/, ''),
    labels: svc.Spec.Labels ?? {},
    createdAt: new Date(svc.CreatedAt),
  };
}

/** A task's state for a message: the state, and the error when the task has one. */
export function taskStateText(t: TaskJson): string {
  return `${t.Status.State}${t.Status.Err ? `: ${t.Status.Err}` : ''}`;
}
