// npm run contracts: regenerates the API types from the documents (see generate.ts).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { FILES, hqDocument, storeDocument, typesOf } from './generate.js';

writeFileSync(FILES.store, await typesOf(await storeDocument(), 'the store API'));
writeFileSync(FILES.hq, await typesOf(await hqDocument(), 'the HQ API'));
// formatted as the house formats, so that a fresh generation compares equal
execFileSync('npx', ['biome', 'format', '--write', FILES.store, FILES.hq], { stdio: 'inherit' });
console.log(`wrote ${FILES.store} and ${FILES.hq}`);
