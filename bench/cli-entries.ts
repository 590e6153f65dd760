// The two ways the benches run the `castbridge` command: as users run it (bin/castbridge.js, the compiled
// dist-main brought up to date first) and from the TypeScript sources through tsx, as the tests and a
// developer's quick run do, to show what compiling ahead saves.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureMainBuilt } from '../scripts/build-main.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const COMPILED_CLI = join(ROOT, 'bin', 'castbridge.js');

/** bin/castbridge.js, after making sure dist-main is current so no run includes a build. */
export async function compiledCli(): Promise<string> {
  await ensureMainBuilt();
  return COMPILED_CLI;
}

/**
 * Node arguments that run src-main/cli.ts through tsx's loader (`node …ARGS castbridge-args`), through an
 * entry written into `dir`. Spawn with cwd ROOT, where `--import tsx` resolves.
 */
export function sourceCli(dir: string): string[] {
  const entry = join(dir, 'castbridge-tsx.mjs');
  const cli = pathToFileURL(join(ROOT, 'src-main', 'cli.ts')).href;
  writeFileSync(entry, `const { main } = await import(${JSON.stringify(cli)});\nprocess.exitCode = await main(process.argv.slice(2));\n`);
  return ['--import', 'tsx', entry];
}
