// A server-sent-events stream for a staff page: the response taken over from fastify,
// `send` written at once and then every `periodMs`, until the page goes or the daemon
// closes (streams end at preClose, so a shutdown never waits on a page left open).
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The open streams of one plugin, ended when the daemon closes. */
export function eventStreams(app: FastifyInstance): Set<ServerResponse> {
  const streams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const s of streams) s.end();
  });
  return streams;
}

export function openEventStream(
  streams: Set<ServerResponse>,
  req: FastifyRequest,
  reply: FastifyReply,
  periodMs: number,
  send: (res: ServerResponse) => void,
): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    // HTTP/2 forbids connection headers (a stream is never closed by one anyway)
    ...(req.raw.httpVersionMajor < 2 ? { connection: 'keep-alive' } : {}),
  });
  streams.add(res);
  send(res);
  const timer = setInterval(() => send(res), periodMs);
  res.on('close', () => {
    clearInterval(timer);
    streams.delete(res);
  });
}
