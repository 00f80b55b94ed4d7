// The docs site (VitePress): `npm run docs:build` renders the API contracts into
// docs/reference/ first, then builds; a dead internal link fails the build (VitePress'
// default), and `npm test` runs it.
import { defineConfig } from 'vitepress';

export default defineConfig({
  title: 'storeedge',
  description: 'The store edge runtime: devices, offline checkout, on-device people counting, sync with HQ',
  // the contracts' pages are large: no search index for their JSON blocks
  cleanUrls: true,
  lastUpdated: false,
  themeConfig: {
    nav: [
      { text: 'Getting started', link: '/getting-started' },
      { text: 'Operating a store box', link: '/store-box' },
      { text: 'HQ', link: '/hq' },
      { text: 'Reference', link: '/reference/store-api' },
    ],
    sidebar: [
      {
        text: 'Start here',
        items: [
          { text: 'Getting started', link: '/getting-started' },
          { text: 'Architecture', link: '/architecture' },
          { text: 'Code layout', link: '/layout' },
          { text: 'What is built', link: '/status' },
        ],
      },
      {
        text: 'Operating a store',
        items: [
          { text: 'Configuration', link: '/config' },
          { text: 'On a store box', link: '/store-box' },
          { text: 'Storage', link: '/storage' },
          { text: 'HTTPS', link: '/https' },
          { text: 'Fault drills', link: '/drills' },
        ],
      },
      {
        text: 'The store',
        items: [
          { text: "The store's business", link: '/business' },
          { text: 'Web pages', link: '/pages' },
          { text: 'Hardware and drivers', link: '/devices' },
          { text: 'People counting', link: '/people-counting' },
        ],
      },
      {
        text: 'Integrating',
        items: [
          { text: "The store's API and contracts", link: '/api' },
          { text: 'Sync with HQ', link: '/sync-overview' },
          { text: 'Sync: protocol and versioning', link: '/sync' },
        ],
      },
      { text: 'HQ', items: [{ text: 'HQ operations', link: '/hq' }] },
      { text: 'Security', items: [{ text: 'Threat model and defaults', link: '/security' }] },
      { text: 'Benchmarks', items: [{ text: 'Figures and method', link: '/benchmarks' }] },
      {
        text: 'Reference (generated)',
        items: [
          { text: "The store's HTTP API", link: '/reference/store-api' },
          { text: "HQ's HTTP API", link: '/reference/hq-api' },
          { text: 'MQTT topics and messages', link: '/reference/events' },
        ],
      },
    ],
  },
});
