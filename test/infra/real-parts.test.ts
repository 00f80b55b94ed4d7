// The real parts other suites rely on start here, and speak their protocols.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startMosquitto } from '../helpers/mosquitto.js';
import { openPtyPair } from '../helpers/pty.js';

describe('real parts for the suites', () => {
  it('mosquitto answers an MQTT 5 CONNECT with a successful CONNACK, and comes back after a stop', async () => {
    const broker = await startMosquitto();
    try {
      const connack = async () =>
        new Promise<Buffer>((resolve, reject) => {
          const s = connect({ port: broker.port, host: '127.0.0.1' });
          // CONNECT: protocol "MQTT" v5, clean start, keepalive 10, no properties, client id "t"
          const body = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 5, 0x02, 0, 10, 0, 0, 1, 0x74]);
          s.on('connect', () => s.write(Buffer.concat([Buffer.from([0x10, body.length]), body])));
          s.once('data', (d) => {
            s.destroy();
            resolve(d);
          });
          s.once('error', reject);
        });
      const first = await connack();
      expect(first[0]).toBe(0x20); // CONNACK
      expect(first[3]).toBe(0x00); // reason code: success
      await broker.stop();
      await broker.start();
      expect((await connack())[0]).toBe(0x20);
    } finally {
      await broker.stop();
    }
  });

  it('socat gives a pty pair that carries bytes both ways', async () => {
    const pair = await openPtyPair();
    const fa = openSync(pair.a, 'r+');
    const fb = openSync(pair.b, 'r+');
    try {
      writeSync(fa, Buffer.from('\x02 hello\r\n'));
      const buf = Buffer.alloc(64);
      const n = readSync(fb, buf, 0, buf.length, null);
      expect(buf.subarray(0, n).toString()).toBe('\x02 hello\r\n');
      writeSync(fb, Buffer.from([0x10, 0x04, 0x01]));
      const m = readSync(fa, buf, 0, buf.length, null);
      expect([...buf.subarray(0, m)]).toEqual([0x10, 0x04, 0x01]);
    } finally {
      closeSync(fa);
      closeSync(fb);
      await pair.close();
    }
  });
});
