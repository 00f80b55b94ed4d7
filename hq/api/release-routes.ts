// Software releases and rollouts: operators upload a bundle (the tarball `npm run release`
// writes) and roll it out to stores, a group, a region or all, a batch at a time; anyone
// signed in reads their state per store. Stores download the bundle without a session:
// it is checked at the store against the SHA-256 and size in HQ's signed push.
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { ApiError } from '../../sync/kernel/errors.js';
import { HHMM_PATTERN } from '../../sync/maintenance-window.js';
import { ARCH_PATTERN, type Bundles, VERSION_PATTERN } from '../releases/bundles.js';
import type { Deltas } from '../releases/deltas.js';
import type { Rollouts } from '../releases/rollouts.js';
import type { MaintenanceWindows } from '../releases/windows.js';
import type { HqAuth } from './auth.js';
import { GroupName, Limit, limitOf, StoreId } from './params.js';
import * as R from './responses.js';

export interface ReleaseRouteDeps {
  auth: HqAuth;
  bundles: Bundles;
  rollouts: Rollouts;
  windows: MaintenanceWindows;
  deltas: Deltas | null;
}

const HHMM = Type.String({ pattern: HHMM_PATTERN, description: 'HH:MM, local' });
const WindowBody = Type.Object(
  { from: HHMM, to: Type.String({ ...HHMM, description: 'HH:MM, local; before `from` crosses midnight' }) },
  { additionalProperties: false },
);
const WindowTarget = Type.Object({
  scope: Type.Enum(['stores', 'groups']),
  name: GroupName,
});

const Release = Type.Object({
  version: Type.String({ pattern: VERSION_PATTERN }),
  arch: Type.String({ pattern: ARCH_PATTERN }),
});

export const releaseRoutes: FastifyPluginAsync<ReleaseRouteDeps> = async (fastify, d) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // bundles arrive as a stream; Bundles.upload counts and caps the bytes itself
  app.addContentTypeParser(['application/gzip', 'application/octet-stream'], (_req, payload, done) =>
    done(null, payload),
  );

  app.put(
    '/releases/:version/:arch',
    { config: { role: 'operator' }, schema: { response: { 201: R.BundleStored }, params: Release } },
    async (req, reply) => {
      const s = d.auth.require(req, 'operator');
      const bundle = await d.bundles.upload(
        s.userId,
        req.params.version,
        req.params.arch,
        req.body as Readable,
      );
      reply.status(201);
      return bundle;
    },
  );

  app.get(
    '/releases',
    { config: { role: 'analyst' }, schema: { response: { 200: R.Releases } } },
    async (req) => {
      d.auth.require(req, 'analyst');
      return { releases: await d.bundles.list() };
    },
  );

  app.get(
    '/releases/:version/:arch/bundle',
    { config: { role: 'public' }, schema: { response: { 200: R.gzipBundle }, params: Release } },
    async (req, reply) => {
      const b = await d.bundles.get(req.params.version, req.params.arch);
      reply.header('content-type', 'application/gzip');
      reply.header('content-length', String(b.bytes));
      reply.header('x-content-sha256', b.sha256);
      return reply.send(createReadStream(d.bundles.file(b.version, b.arch)));
    },
  );

  app.get(
    '/releases/:version/:arch/delta/:from',
    {
      config: { role: 'public' },
      schema: {
        response: { 200: R.zstdDelta },
        params: Type.Object({
          version: Type.String({ pattern: VERSION_PATTERN }),
          arch: Type.String({ pattern: ARCH_PATTERN }),
          from: Type.String({ pattern: VERSION_PATTERN }),
        }),
      },
    },
    async (req, reply) => {
      const { version, arch, from } = req.params;
      // only a delta HQ made and recorded is served: it is checked at the store against the signed push
      const delta = d.deltas ? await d.deltas.recorded(from, version, arch) : null;
      if (!delta || !d.deltas)
        throw new ApiError(404, 'DELTA_NOT_FOUND', `no delta from ${from} to ${version} for ${arch}`);
      reply.header('content-type', 'application/zstd');
      reply.header('content-length', String(delta.bytes));
      reply.header('x-content-sha256', delta.sha256);
      return reply.send(createReadStream(d.deltas.file(from, version, arch)));
    },
  );

  app.post(
    '/rollouts',
    {
      config: { role: 'operator' },
      schema: {
        response: { 202: R.Rollout },
        body: Type.Object(
          {
            version: Type.String({ pattern: VERSION_PATTERN }),
            arch: Type.Optional(Type.String({ pattern: ARCH_PATTERN })),
            stores: Type.Optional(Type.Array(StoreId, { minItems: 1, maxItems: 5000 })),
            group: Type.Optional(GroupName),
            region: Type.Optional(GroupName),
            all: Type.Optional(Type.Boolean()),
            batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
            maxFailures: Type.Optional(Type.Integer({ minimum: 0, maximum: 5000 })),
            urgent: Type.Optional(
              Type.Boolean({ description: "switch whatever the stores' maintenance windows say" }),
            ),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const s = d.auth.require(req, 'operator');
      const r = await d.rollouts.create(s.userId, req.body, `${req.protocol}://${req.host}`);
      reply.status(202);
      return r;
    },
  );

  app.get(
    '/rollouts',
    {
      config: { role: 'analyst' },
      schema: {
        response: { 200: R.Rollouts },
        querystring: Type.Object({ limit: Limit }, { additionalProperties: false }),
      },
    },
    async (req) => {
      d.auth.require(req, 'analyst');
      return { rollouts: await d.rollouts.list(limitOf(req.query.limit, 20)) };
    },
  );

  app.get(
    '/rollouts/:id',
    {
      config: { role: 'analyst' },
      schema: {
        response: { 200: R.Rollout },
        params: Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}$' }) }),
      },
    },
    async (req) => {
      d.auth.require(req, 'analyst');
      return d.rollouts.status(Number(req.params.id));
    },
  );

  app.get(
    '/rollouts/:id/offline-bundle',
    {
      config: { role: 'operator' },
      schema: {
        response: { 200: R.tarFile },
        params: Type.Object({ id: Type.String({ pattern: '^[0-9]{1,15}$' }) }),
      },
    },
    async (req, reply) => {
      d.auth.require(req, 'operator');
      const o = await d.rollouts.offline(Number(req.params.id));
      // a tar of the signed push and the bundle (tar -h reads the bundle through a link)
      const dir = mkdtempSync(join(tmpdir(), 'storeedge-offline-'));
      writeFileSync(join(dir, 'push.json'), o.push);
      symlinkSync(o.file, join(dir, 'bundle.tar.gz'));
      const tar = spawn('tar', ['-chf', '-', '-C', dir, 'push.json', 'bundle.tar.gz'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      tar.once('close', () => rmSync(dir, { recursive: true, force: true }));
      reply.header('content-type', 'application/x-tar');
      reply.header(
        'content-disposition',
        `attachment; filename="storeedge-offline-${o.version}-${o.arch}-rollout-${req.params.id}.tar"`,
      );
      return reply.send(tar.stdout);
    },
  );

  // maintenance windows: a store's own, else its group's (hq/releases/windows.ts)
  app.get(
    '/maintenance-windows',
    { config: { role: 'analyst' }, schema: { response: { 200: R.MaintenanceWindows } } },
    async (req) => {
      d.auth.require(req, 'analyst');
      return { windows: await d.windows.list() };
    },
  );

  app.put(
    '/maintenance-windows/:scope/:name',
    {
      config: { role: 'operator' },
      schema: { response: { 200: R.MaintenanceWindow }, params: WindowTarget, body: WindowBody },
    },
    async (req) => {
      const s = d.auth.require(req, 'operator');
      const scope = req.params.scope === 'stores' ? 'store' : 'group';
      return d.windows.set(s.userId, scope, req.params.name, req.body);
    },
  );

  app.delete(
    '/maintenance-windows/:scope/:name',
    {
      config: { role: 'operator' },
      schema: { response: { 204: { description: 'removed', type: 'null' } }, params: WindowTarget },
    },
    async (req, reply) => {
      d.auth.require(req, 'operator');
      await d.windows.delete(req.params.scope === 'stores' ? 'store' : 'group', req.params.name);
      reply.status(204);
    },
  );
};
