/**
 * The server's Recorder, built from the configuration (`recording`, `recording_input`, `recording_max_size`,
 * read at the start of every session) and the engine's attach registry: input is recorded only on a
 * terminal attached to a shell, and a gate login's recording finds its account through the attach registry
 * (the runner says whose shell a terminal is attached to).
 */
import type { ConfigSource } from '../config/config-source.ts';
import type { Logger } from '../logger.ts';
import type { AttachRegistry } from '../sessions/index.ts';
import { Recorder } from './recorder.ts';

export function recorderFromConfig(o: {
  readonly dir: string;
  readonly config: ConfigSource;
  readonly attached: AttachRegistry;
  readonly log: Logger;
  readonly now: () => Date;
}): Recorder {
  return new Recorder({
    dir: o.dir,
    settings: () => {
      const g = o.config.current().global;
      return { enabled: g.recording, input: g.recording_input, maxBytes: g.recording_max_size };
    },
    // presence: one map lookup per input chunk (all() would copy every attached terminal per keystroke).
    inShell: (t) => o.attached.presence(t) !== undefined,
    locate: async (t) => o.attached.ownerOf(t),
    log: o.log,
    now: o.now,
  });
}
