// Runs every bench/*.bench.ts in turn. Each prints its own figures and its ratio
// against a baseline measured in the same run.
//   npm run bench            all
//   npm run bench -- commit  those whose file name contains "commit"
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const filter = process.argv[2] ?? '';
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts') && f.includes(filter))
  .sort();
for (const f of files) {
  console.log(`\n## ${f}`);
  const mod = (await import(pathToFileURL(`${dir}/${f}`).href)) as { run: () => Promise<void> | void };
  await mod.run();
}
