// Live updates for staff screens as server-sent events: occupancy, open alerts and the
// guide calls nobody has taken, every two seconds. Streams end when the daemon closes,
// so a shutdown never waits on a dashboard left open.

import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import { escalatedCalls } from '../guides/calls.js';
import { openAlerts } from '../kiosk/alerts.js';
import type { BusinessDeps } from './deps.js';

const PERIOD_MS = 2000;

export const liveRoutes: FastifyPluginAsync<BusinessDeps> = async (app, d) => {
  const streams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const s of streams) s.end();
  });

  const stream = {
    description:
      'Server-sent events: `occupancy`, `alerts` and `guide-calls` (calls no guide has taken in time), each data line JSON, as they change',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  };
  app.get(
    '/staff/live',
    { config: { access: 'staff' }, schema: { response: { 200: stream } } },
    async (req, reply) => {
      d.staffAuth.require(req);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        // HTTP/2 forbids connection headers (a stream is never closed by one anyway)
        ...(req.raw.httpVersionMajor < 2 ? { connection: 'keep-alive' } : {}),
      });
      const send = () => {
        if (d.vision) res.write(`event: occupancy\ndata: ${JSON.stringify(d.vision.occupancy())}\n\n`);
        res.write(`event: alerts\ndata: ${JSON.stringify(openAlerts(d.db))}\n\n`);
        // shoppers' calls no guide has taken in time: someone on the dashboard sends one
        res.write(`event: guide-calls\ndata: ${JSON.stringify(escalatedCalls(d.db))}\n\n`);
      };
      streams.add(res);
      send();
      const timer = setInterval(send, PERIOD_MS);
      res.on('close', () => {
        clearInterval(timer);
        streams.delete(res);
      });
    },
  );
};
