// The publisher's shutdown order, made deterministic: the broker's PUBACKs are held by
// the test and released after the publisher stopped and, for some, after the database
// closed, as happens when a daemon stops under load (issue 20's failing stop).
// The broker-level behaviour is covered against mosquitto in sync.test.ts.
import pino from 'pino';
import { expect, it } from 'vitest';
import { readOutbox } from '../../edge/db/outbox.js';
import { OutboxPublisher, type PublisherLink } from '../../edge/sync/publisher.js';
import { Topics } from '../../sync/topics.js';
import { appendSyntheticEvent } from '../helpers/outbox.js';
import { waitFor } from '../helpers/ports.js';
import { demoDb } from '../helpers/store.js';

/** A connected link whose publishes complete only when the test says so. */
function heldLink() {
  const pending: (() => void)[] = [];
  const link: PublisherLink = {
    connected: true,
    publish: () => new Promise<void>((resolve) => pending.push(resolve)),
    on: () => link,
  };
  return { link, pending };
}

it('PUBACKs after stop are marked by drainAcks, and none touches the database after it closes', async () => {
  const db = demoDb();
  db.transaction(() => {
    for (let i = 0; i < 10; i++)
      appendSyntheticEvent(db, { type: 'sale.completed', class: 'money', payload: { i } }, Date.now());
  })();
  const { link, pending } = heldLink();
  const publisher = new OutboxPublisher({
    db,
    link,
    topics: new Topics('storeedge/v1', 'demo-store-001'),
    log: pino({ level: 'silent' }),
    ratePerSecond: 1000,
  });
  publisher.start();
  await waitFor('all published', () => (pending.length === 10 ? true : undefined), 5000);
  await publisher.stop();

  for (const ack of pending.splice(0, 5)) ack(); // acks that land while the link closes
  await new Promise((r) => setImmediate(r));
  publisher.drainAcks();
  expect(readOutbox(db).filter((r) => r.sentAt !== null).length).toBe(5);

  db.close();
  for (const ack of pending.splice(0)) ack(); // and acks that land after the database closed
  await new Promise((r) => setTimeout(r, 100)); // past the 20 ms flush timer
  publisher.drainAcks(); // a closed database is left alone
});
