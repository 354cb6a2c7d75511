/** `islet serve`: run the SSH front door (and the web door with --http) until SIGTERM/SIGINT. */
import { startIslet } from '../../main.ts';
import { createLogger } from '../../logger.ts';
import { optionValue, parseListen } from '../options.ts';

export async function serve(flags: Record<string, string | boolean | undefined>): Promise<number> {
  const { host, port } = parseListen(optionValue('listen', flags));
  const log = createLogger({ level: optionValue('logLevel', flags) });
  const httpListen = optionValue('http', flags);
  const http = httpListen ? parseListen(httpListen, '--http') : undefined;
  const metricsListen = optionValue('metrics', flags);
  const metrics = metricsListen ? parseListen(metricsListen, '--metrics') : undefined;
  // The instance name (setting `instance`, ISLET_INSTANCE) and the test-run labels are read in src/compose.ts.
  const islet = await startIslet({
    configDir: optionValue('config', flags),
    dataDir: optionValue('data', flags),
    store: optionValue('store', flags),
    host,
    port,
    log,
    takeOver: flags['take-over'] === true,
    ...(http ? { http } : {}),
    ...(metrics ? { metrics } : {}),
  });
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log.info({ event: 'signal', signal: sig }, 'stopping');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await islet.close();
  // A stop really stops: nothing left open (an engine stream of a command that ignores its hang-up, a socket
  // half closed by a client) may keep the process alive after "ISLET stopped". Exits at once when nothing is.
  setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
  return 0;
}
