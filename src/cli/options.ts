/**
 * The CLI's shared options: each flag has an environment-variable twin,
 * declared once here so `--help` and docs/cli.md come from one table.
 */
export interface OptionSpec {
  readonly flag: string;
  readonly env: string;
  readonly default: string;
  readonly help: string;
}

export const commonOptions = {
  config: {
    flag: '--config',
    env: 'ISLET_CONFIG',
    default: '/etc/islet',
    help: 'Config directory: islet.yaml and/or islet.conf, modules/, environments/, plugins/',
  },
  data: { flag: '--data', env: 'ISLET_DATA', default: '/var/lib/islet', help: 'Data directory (mode 0700): islet.db and the SSH host keys' },
  store: {
    flag: '--store',
    env: 'ISLET_STORE',
    default: '',
    help: 'Store: empty for SQLite in the data directory (islet.db); postgres://user:password@host:port/database for PostgreSQL, shared by several front doors',
  },
  listen: { flag: '--listen', env: 'ISLET_LISTEN', default: '0.0.0.0:2222', help: 'Address and port of the SSH front door, HOST:PORT' },
  http: { flag: '--http', env: 'ISLET_HTTP', default: '', help: 'Address and port of the web door (a terminal in the browser), HOST:PORT; empty: no web door' },
  metrics: {
    flag: '--metrics',
    env: 'ISLET_METRICS',
    default: '',
    help: 'Operator listener for /metrics and /healthz, HOST:PORT (loopback or a management network); empty: none',
  },
  logLevel: { flag: '--log-level', env: 'ISLET_LOG_LEVEL', default: 'info', help: 'Log level: debug, info, warn, error' },
} as const satisfies Record<string, OptionSpec>;

export type CommonOption = keyof typeof commonOptions;

/** Flag value, else environment variable, else default. */
export function optionValue(name: CommonOption, flags: Record<string, string | boolean | undefined>): string {
  const spec = commonOptions[name];
  const v = flags[spec.flag.slice(2)];
  if (typeof v === 'string' && v !== '') return v;
  return process.env[spec.env] || spec.default;
}

export function parseListen(s: string, flag = '--listen'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`${flag}: expected HOST:PORT, got ${JSON.stringify(s)}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}
