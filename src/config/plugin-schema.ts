/**
 * The plugin entries of the menu (`plugins` in islet.yaml, or `plugins/<name>.yaml`):
 * the actions a plugin may take, the schema of one entry, and the entries a
 * configuration gets when it names none.
 */
import { z } from 'zod';
import { namePattern } from './name-patterns.ts';

export const pluginActions = ['clear', 'reset_environment', 'delete_account', 'restart', 'add_key', 'export'] as const;

export const pluginSchema = z
  .object({
    name: z.string().regex(namePattern).describe('Name shown in the menu.'),
    description: z.string().default('').describe('Text shown beside the plugin in the menu.'),
    action: z
      .enum(pluginActions)
      .describe(
        'What it does: `clear` the screen, `reset_environment` (delete one of my environments), `delete_account`, `restart` the menu, `add_key` (enroll an ' +
          'SSH public key for direct login), `export` (show the scp/sftp command that downloads my home) (legacy `PLUGIN` script names clear, del_container, ' +
          'del_user, restart).',
      ),
    enabled: z.boolean().default(true).describe('Show the plugin in the menu.'),
  })
  .strict();

export const defaultPlugins: z.input<typeof pluginSchema>[] = [
  { name: 'clear', description: 'Clear the screen', action: 'clear' },
  { name: 'del_training', description: 'Delete a training environment', action: 'reset_environment' },
  { name: 'del_user', description: 'Delete your user account', action: 'delete_account' },
  { name: 'restart', description: 'Restart ISLET session', action: 'restart' },
  { name: 'add_key', description: 'Add an SSH key for direct login', action: 'add_key' },
  { name: 'export', description: 'How to download my work', action: 'export' },
];

export type Plugin = z.output<typeof pluginSchema> & { readonly source: string };
export type PluginInput = z.input<typeof pluginSchema>;
export type PluginAction = (typeof pluginActions)[number];
