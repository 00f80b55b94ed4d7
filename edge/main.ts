// storeedge daemon entry point.
//   node dist/edge/main.js --config config/demo-store.yaml [--check-config]
//   node dist/edge/main.js update --from FILE      an offline update (edge/updates/offline.ts)
//   node dist/edge/main.js support-bundle [--out FILE]   what support needs (edge/support/)
// Exit codes: 0 clean stop, 1 start or stop failure, 75 restart for a software update,
// 78 invalid config (EX_CONFIG).
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ConfigError, type LoadedConfig, loadConfig } from '../config/load.js';
import { StartError } from '../sync/kernel/lifecycle.js';
import { createLogger } from '../sync/kernel/logger.js';
import { createDaemon } from './daemon.js';
import { supportBundleCommand } from './support/command.js';
import { LogRing } from './support/log-ring.js';
import { SystemdNotifier } from './systemd.js';
import { updateFromFile } from './updates/offline.js';

const EX_CONFIG = 78;
/** stopped to start again on another version (EX_TEMPFAIL): not a clean stop, so systemd restarts */
const EX_RESTART = 75;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      'check-config': { type: 'boolean', default: false },
      from: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const command = positionals[0];
  if (command !== undefined && command !== 'update' && command !== 'support-bundle') {
    process.stderr.write(
      `storeedge: unknown command ${command} (commands: update --from FILE, support-bundle [--out FILE])\n`,
    );
    return 64;
  }
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
  if (command === 'support-bundle')
    return supportBundleCommand(loaded, values.out, (line, ok) =>
      (ok ? process.stdout : process.stderr).write(`${line}\n`),
    );
  if (command === 'update') {
    if (!values.from) {
      process.stderr.write('storeedge: update needs --from FILE (an offline bundle HQ made for a rollout)\n');
      return 64;
    }
    return updateFromFile(
      {
        updatesDir: loaded.config.updates.dir,
        hqSigningPublicKey: loaded.config.security.hqSigningPublicKey,
        file: values.from,
      },
      (line, ok) => (ok ? process.stdout : process.stderr).write(`${line}\n`),
    );
  }

  const ring = new LogRing();
  const log = createLogger(loaded.config.logging.level, ring.tee(pino.destination({ sync: false })));
  const systemd = SystemdNotifier.fromEnv(process.env, log.child({ component: 'systemd' }));
  let requestRestart: (reason: string) => void = () => undefined;
  const daemon = createDaemon(loaded, log, {
    restart: (reason) => requestRestart(reason),
    logs: () => ring.recent(),
  });
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
    // an update switched versions: stop cleanly and exit non-zero, so that systemd
    // (Restart=on-failure) starts storeedge-start again, which runs the new version
    requestRestart = (reason) => {
      if (signalled) return;
      signalled = true;
      log.info({ reason }, 'restarting');
      void systemd.status(`restarting: ${reason}`);
      void systemd.stopping();
      void daemon.lifecycle.stop().then(() => resolve(EX_RESTART));
    };
  });
  // a version on trial that is not ready in time exits, and the start counts as failed
  const unguard =
    daemon.updates?.guardStart((reason) => {
      log.fatal({ reason }, 'new version on trial did not get ready: exiting');
      log.flush();
      process.exit(1);
    }) ?? (() => undefined);

  try {
    await daemon.lifecycle.start();
  } catch (err) {
    unguard();
    if (err instanceof StartError) {
      daemon.updates?.startFailed(err.message);
      log.fatal({ part: err.part, reason: err.reason }, err.message);
      log.flush();
      process.stderr.write(`storeedge: ${err.message}\n`);
      systemd.close();
      return 1;
    }
    throw err;
  }
  unguard();
  log.info(
    {
      address: daemon.http.address,
      secureAddress: daemon.http.secureAddress,
      publicUrl: daemon.http.publicUrl,
    },
    'storeedge ready',
  );
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
