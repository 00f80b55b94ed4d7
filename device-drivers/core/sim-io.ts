// Plumbing the simulators share: a serial port opened on the far end of a pty, and a
// TCP or HTTP server on a loopback port.
import type { Server } from 'node:net';
import { SerialPort } from 'serialport';

export function openSerial(path: string, baudRate = 9600): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    port.open((err) => (err ? reject(err) : resolve(port)));
  });
}

export function closeSerial(port: SerialPort | null): Promise<void> {
  return new Promise((resolve) => (port?.isOpen ? port.close(() => resolve()) : resolve()));
}

/** Listens on 127.0.0.1 (port 0: any free one) and returns the port. */
export async function listenLoopback(
  server: Pick<Server, 'once' | 'listen' | 'address'>,
  port = 0,
): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}
