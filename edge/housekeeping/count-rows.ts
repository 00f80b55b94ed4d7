// Rows per table, counted on a worker thread over its own read-only connection: a
// count(*) reads a whole table (about 35 ms per 2 million rows here, and a year's sale
// lines are several million), which on the daemon's thread would stall every scan
// behind it. In WAL mode the reader never blocks the store's writes.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');

// CommonJS, as eval'd workers are
const COUNT = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.path, { readonly: true, fileMustExist: true });
try {
  const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all();
  const rows = {};
  for (const name of names) rows[name] = db.prepare('SELECT count(*) FROM "' + name.replaceAll('"', '""') + '"').pluck().get();
  parentPort.postMessage(rows);
} finally {
  db.close();
}
`;

export function countRowsOffThread(path: string, timeoutMs = 60_000): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(COUNT, { eval: true, workerData: { path, sqlite } });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`counting rows took over ${timeoutMs} ms`));
    }, timeoutMs);
    worker.once('message', (rows: Record<string, number>) => {
      clearTimeout(timer);
      resolve(rows);
    });
    worker.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`row count worker exited with ${code}`));
    });
  });
}
