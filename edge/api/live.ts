// Live updates for staff screens as server-sent events: occupancy, open alerts, the
// kiosks' queues and the guide calls nobody has taken, every two seconds. Streams end
// when the daemon closes, so a shutdown never waits on a dashboard left open.

import type { FastifyPluginAsync } from 'fastify';
import { openAlerts } from '../alerts/alerts.js';
import { escalatedCalls } from '../guides/calls.js';
import type { BusinessDeps } from './deps.js';
import { eventStreams, openEventStream } from './event-stream.js';

const PERIOD_MS = 2000;

export const liveRoutes: FastifyPluginAsync<BusinessDeps> = async (app, d) => {
  const streams = eventStreams(app);

  const stream = {
    description:
      'Server-sent events: `occupancy`, `alerts`, `queues` (each queue zone at the kiosks: length, pace, estimated wait, its open alert) and `guide-calls` (calls no guide has taken in time), each data line JSON, as they change',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  };
  app.get(
    '/staff/live',
    { config: { access: 'staff' }, schema: { response: { 200: stream } } },
    async (req, reply) => {
      d.staffAuth.require(req);
      openEventStream(streams, req, reply, PERIOD_MS, (res) => {
        if (d.vision) res.write(`event: occupancy\ndata: ${JSON.stringify(d.vision.occupancy())}\n\n`);
        res.write(`event: alerts\ndata: ${JSON.stringify(openAlerts(d.db))}\n\n`);
        if (d.queues) res.write(`event: queues\ndata: ${JSON.stringify(d.queues.states())}\n\n`);
        // shoppers' calls no guide has taken in time: someone on the dashboard sends one
        res.write(`event: guide-calls\ndata: ${JSON.stringify(escalatedCalls(d.db))}\n\n`);
      });
    },
  );
};
