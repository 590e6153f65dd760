// `npm run bench [-- NAME ...]`: runs every bench/*.bench.ts (or those whose file name contains one of the
// arguments) one after the other and prints each result as an aligned text table.
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchResult {
  title: string;
  columns: string[];
  rows: string[][];
}

/** A bench returns one table, or several (printed one after the other). */
type Bench = () => Promise<BenchResult | BenchResult[]>;

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const SUFFIX = '.bench.ts';

/** Columns padded to their widest cell; numbers (and other cells that start with a digit) right-aligned. */
export function formatTable(result: BenchResult): string {
  const widths = result.columns.map((c, i) => Math.max(c.length, ...result.rows.map((r) => (r[i] ?? '').length)));
  const numeric = (cell: string): boolean => /^[-+]?\d/.test(cell);
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (numeric(cell) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [result.title, line(result.columns), rule, ...result.rows.map(line)].join('\n');
}

function isBench(value: unknown): value is Bench {
  return typeof value === 'function';
}

async function main(filters: string[]): Promise<number> {
  const files = readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith(SUFFIX))
    .filter((f) => filters.length === 0 || filters.some((name) => f.includes(name)))
    .sort();
  if (files.length === 0) {
    process.stderr.write(`no benchmark matches ${filters.join(', ') || '(any)'} in ${BENCH_DIR}\n`);
    return 1;
  }
  let failed = 0;
  for (const file of files) {
    const name = basename(file, SUFFIX);
    process.stderr.write(`bench ${name}: running…\n`);
    try {
      const module = (await import(pathToFileURL(join(BENCH_DIR, file)).href)) as { default?: unknown };
      if (!isBench(module.default)) throw new Error(`${file} has no default export function`);
      const result = await module.default();
      for (const table of Array.isArray(result) ? result : [result]) process.stdout.write(`\n${formatTable(table)}\n`);
    } catch (error) {
      failed++;
      process.stderr.write(`bench ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
  }
  return failed ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2));
}
