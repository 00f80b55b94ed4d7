// storeedge daemon entry point.
//   node dist/edge/main.js --config config/demo-store.yaml [--check-config]
// Exit codes: 0 clean stop, 1 start or stop failure, 78 invalid config (EX_CONFIG).
import { parseArgs } from 'node:util';
import { ConfigError, type LoadedConfig, loadConfig } from '../config/load.js';
import { createDaemon } from './daemon.js';
import { StartError } from './lifecycle.js';
import { createLogger } from './logger.js';
import { SystemdNotifier } from './systemd.js';

const EX_CONFIG = 78;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', short: 'c' },
      'check-config': { type: 'boolean', default: false },
    },
  });
  const file = values.config ?? process.env.STOREEDGE_CONFIG;
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig({ ...(file ? { file } : {}), env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`storeedge: ${err.message}\n`);
      return EX_CONFIG;
    }
    throw err;
  }
  if (values['check-config']) {
    process.stdout.write(`storeedge: config ok (${loaded.source})\n`);
    return 0;
  }

  const log = createLogger(loaded.config.logging.level);
  const daemon = createDaemon(loaded, log);
  const systemd = SystemdNotifier.fromEnv(process.env, log.child({ component: 'systemd' }));
  log.info({ store: loaded.config.store.id, config: loaded.source, node: process.versions.node }, 'starting');

  let signalled = false;
  const stopped = new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        log.warn({ signal }, 'second signal: exiting without waiting');
        log.flush();
        process.exit(130);
      }
      signalled = true;
      log.info({ signal }, 'stopping');
      void systemd.stopping();
      void daemon.lifecycle.stop().then((clean) => resolve(clean ? 0 : 1));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });

  try {
    await daemon.lifecycle.start();
  } catch (err) {
    if (err instanceof StartError) {
      log.fatal({ part: err.part, reason: err.reason }, err.message);
      log.flush();
      process.stderr.write(`storeedge: ${err.message}\n`);
      systemd.close();
      return 1;
    }
    throw err;
  }
  log.info({ address: daemon.http.address }, 'storeedge ready');
  // Type=notify: systemd counts the service started only now, with every part ready
  await systemd.ready(`serving on ${daemon.http.address}`);
  const code = await stopped;
  systemd.close();
  log.info({ code }, 'stopped');
  log.flush();
  return code;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `storeedge: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
