// An event as the store keeps it in its outbox and sends it to HQ: the envelope's fields
// (sync/topics.ts wireText writes them on the wire, HQ reads them at ingest).

export type EventClass = 'money' | 'telemetry' | 'state';

export interface OutboxEvent {
  type: string;
  class: EventClass;
  payload: Record<string, unknown>;
}

export interface OutboxRow {
  seq: number;
  eventId: string;
  type: string;
  class: EventClass;
  payload: Record<string, unknown>;
  createdAt: number;
  sentAt: number | null;
}

/** An outbox row as stored: the payload still JSON text. */
export interface OutboxText {
  seq: number;
  eventId: string;
  type: string;
  class: EventClass;
  payload: string;
  createdAt: number;
}
