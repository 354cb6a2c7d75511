/**
 * The server's Recorder, built from the configuration (`recording`, `recording_input`, `recording_max_size`,
 * read at the start of every session) and the engine's attach registry: input is recorded only on a
 * terminal attached to a shell, and a gate login's recording finds its account through the store's
 * ownership rows (which container the terminal is attached to).
 */
import type { ConfigSource } from '../config/config-source.ts';
import type { Logger } from '../logger.ts';
import type { AttachRegistry } from '../sessions/index.ts';
import type { Store } from '../store/store.ts';
import { Recorder } from './recorder.ts';

export function recorderFromConfig(o: {
  readonly dir: string;
  readonly config: ConfigSource;
  readonly attached: AttachRegistry;
  readonly store: Pick<Store, 'listOwnership'>;
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
    locate: async (t) => {
      if (o.attached.presence(t) === undefined) return undefined;
      const owner = o.attached.ownerOf(t);
      if (owner) return owner; // the runner's attaches say whose shell it is
      for (const row of await o.store.listOwnership()) if (o.attached.terminals(row.containerId).includes(t)) return row;
      return undefined;
    },
    log: o.log,
    now: o.now,
  });
}
