// A real mosquitto broker on a free loopback port, for suites that talk MQTT. It
// throws (the suite fails) when mosquitto is missing: tests never skip a real part.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './ports.js';

const BIN = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p));

export interface Broker {
  port: number;
  url: string;
  /** stop the broker (as a network cut would); start() brings it back on the same port */
  stop(): Promise<void>;
  start(): Promise<void>;
  log(): string;
}

export async function startMosquitto(extraConf = ''): Promise<Broker> {
  if (!BIN) throw new Error('mosquitto is not installed: run test/setup/system-deps.sh');
  const dir = mkdtempSync(join(tmpdir(), 'storeedge-mqtt-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      extraConf,
    ].join('\n'),
  );
  let proc: ChildProcess | null = null;
  let output = '';
  const start = async () => {
    const p = spawn(BIN, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    p.stdout?.on('data', (d) => (output += d));
    p.stderr?.on('data', (d) => (output += d));
    const exited = new Promise<never>((_, reject) =>
      p.once('exit', (code) => reject(new Error(`mosquitto exited with ${code}: ${output}`))),
    );
    await Promise.race([exited, waitFor(`mosquitto on ${port}`, () => canConnect(port))]);
  };
  const stop = async () => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
  };
  await start();
  return { port, url: `mqtt://127.0.0.1:${port}`, stop, start, log: () => output };
}

function canConnect(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(undefined));
  });
}
