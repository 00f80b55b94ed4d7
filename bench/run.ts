// Runs every bench/*.bench.ts in turn. Each prints its own figures and its ratio
// against a baseline measured in the same run.
//   npm run bench            all
//   npm run bench -- commit  those whose file name contains "commit"
//   npm run bench -- soak    the 30-minute soak (SOAK_MINUTES=N for another length)
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const filter = process.argv[2] ?? '';
// the soak runs for half an hour: only when asked for by name
const files = readdirSync(dir)
  .filter(
    (f) => f.endsWith('.bench.ts') && f.includes(filter) && (filter.includes('soak') || !f.includes('soak')),
  )
  .sort();
for (const f of files) {
  console.log(`\n## ${f}`);
  const mod = (await import(pathToFileURL(`${dir}/${f}`).href)) as { run: () => Promise<void> | void };
  await mod.run();
}
