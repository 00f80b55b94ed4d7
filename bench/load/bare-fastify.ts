// The HTTP bench's baseline: a bare fastify route in a process of its own that takes the
// same request as a kiosk scan (JSON body checked by a schema, the same headers) and
// answers a small JSON, with nothing behind it. Prints its address.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post(
  '/scans',
  {
    schema: {
      body: {
        type: 'object',
        properties: { code: { type: 'string', minLength: 1, maxLength: 600 } },
        required: ['code'],
        additionalProperties: false,
      },
      response: { 201: { type: 'object', properties: { ok: { type: 'boolean' } } } },
    },
  },
  async (_req, reply) => {
    reply.status(201);
    return { ok: true };
  },
);
const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening on ${address}`);
