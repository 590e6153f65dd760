// `npm run soak [-- SCENARIO ...] [--key value ...]`: long runs, faults and fuzzing at scale, bounded in
// time and never part of `npm test`. Runs the named scenarios (default: all, one after the other), prints one
// table of figures with their goals, and writes each scenario's section of docs/SOAK.md with the date and
// the machine (a scenario run alone replaces only its own section).
//   npm run soak -- restart --restarts 100
//   npm run soak -- churn --cycles 1000 --whip-cycles 200
//   npm run soak -- drift --minutes 10        (or --hours N for an overnight run)
//   npm run soak -- faults
//   npm run soak -- fuzz --cases 100000
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, hostname, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatTable, markdownTable, type Figure, type ScenarioResult } from './lib.js';

const SCENARIOS = ['restart', 'churn', 'drift', 'faults', 'fuzz'] as const;
const SOAK_MD = join(import.meta.dirname, '..', 'docs', 'SOAK.md');

function parseArgs(argv: string[]): { names: string[]; options: Record<string, string> } {
  const names: string[] = [];
  const options: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('--')) {
      const [key, inline] = arg.slice(2).split('=', 2);
      options[key!] = inline ?? argv[++i] ?? '';
      if (options[key!] === '') throw new Error(`--${key} needs a value`);
    } else names.push(arg);
  }
  for (const name of names) {
    if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`no soak scenario "${name}"; there are: ${SCENARIOS.join(', ')}`);
  }
  return { names: names.length ? names : [...SCENARIOS], options };
}

function machine(): string {
  const cpu = cpus();
  return `${hostname()}: ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB RAM, Linux ${release()}, Node ${process.version}`;
}

const HEADER = `# Soak: long runs, network faults and fuzzing at scale

\`npm run soak\` (all scenarios) or \`npm run soak -- <scenario>\` writes its section below: the date, the
machine, the scale it ran at and the figures against their goals.
`;

/** Replaces (or appends) the section of one scenario in docs/SOAK.md. */
function writeSection(name: string, result: ScenarioResult, started: Date): void {
  const begin = `<!-- soak:${name} -->`;
  const end = `<!-- /soak:${name} -->`;
  const section = [
    begin,
    `## ${name}`,
    '',
    `Run ${started.toISOString().replace(/\.\d+Z$/, 'Z')} on ${machine()}.`,
    `Scale: ${result.scale}.`,
    '',
    markdownTable(result.figures),
    ...(result.notes.length ? ['', ...result.notes.map((n) => `- ${n}`)] : []),
    end,
  ].join('\n');
  let text = existsSync(SOAK_MD) ? readFileSync(SOAK_MD, 'utf8') : HEADER;
  const at = text.indexOf(begin);
  const stop = text.indexOf(end);
  if (at >= 0 && stop > at) text = text.slice(0, at) + section + text.slice(stop + end.length);
  else {
    // keep the scenarios in their usual order
    const later = SCENARIOS.slice(SCENARIOS.indexOf(name as (typeof SCENARIOS)[number]) + 1).map((n) => text.indexOf(`<!-- soak:${n} -->`)).filter((i) => i >= 0);
    const insertAt = later.length ? Math.min(...later) : text.length;
    const before = text.slice(0, insertAt).replace(/\n*$/, '\n\n');
    text = before + section + '\n' + (insertAt < text.length ? '\n' + text.slice(insertAt) : '');
  }
  writeFileSync(SOAK_MD, text.replace(/\n{3,}/g, '\n\n'));
}

async function main(argv: string[]): Promise<number> {
  const { names, options } = parseArgs(argv);
  const all: Figure[] = [];
  let failed = 0;
  for (const name of names) {
    const started = new Date();
    process.stderr.write(`soak ${name}: running…\n`);
    try {
      const module = (await import(pathToFileURL(join(import.meta.dirname, `${name}.ts`)).href)) as { default: (o: Record<string, string>) => Promise<ScenarioResult> };
      const result = await module.default(options);
      all.push(...result.figures);
      process.stdout.write(`\n${name} (${result.scale})\n${formatTable(result.figures)}\n`);
      for (const note of result.notes) process.stdout.write(`  note: ${note}\n`);
      if (!options['no-write']) writeSection(name, result, started);
    } catch (error) {
      failed++;
      process.stderr.write(`soak ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
  }
  if (names.length > 1) process.stdout.write(`\nall scenarios\n${formatTable(all)}\n`);
  return failed ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2));
  // Chromium, servers and timers are all closed by the scenarios; anything left must not keep a soak alive.
  setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
}
