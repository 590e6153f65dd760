// Builds the studio (dist/renderer/index.html), the SDK example page (dist/renderer/sdk/index.html) and a
// stand-alone ES module of the SDK for any web page (dist/renderer/sdk/castbridge-sdk.js).
// `npm run build` = `vite build --config src-renderer/vite.config.ts`.
import { fileURLToPath } from 'node:url';
import { mkdirSync, writeFileSync } from 'node:fs';
import react from '@vitejs/plugin-react';
import ts from 'typescript';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/renderer', import.meta.url));

/**
 * Emits the SDK's type declarations beside its bundle: dist/renderer/sdk/castbridge-sdk.d.ts (+ types/). The SDK
 * takes its wire types from the shared contract (src-contract/, TypeBox schemas), but a page using the SDK has
 * neither that folder nor TypeBox: types/contract/ gets each contract type written out in plain TypeScript,
 * as the compiler resolves it from the schema.
 */
function sdkDeclarations(): Plugin {
  let buildDir = outDir;
  return {
    name: 'castbridge-sdk-declarations',
    apply: 'build',
    configResolved(config) {
      buildDir = config.build.outDir;
    },
    closeBundle() {
      const typesDir = `${buildDir}/sdk/types`;
      const repo = fileURLToPath(new URL('..', import.meta.url));
      const program = ts.createProgram([`${root}sdk/index.ts`], {
        declaration: true,
        emitDeclarationOnly: true,
        rootDir: repo,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
        strict: true,
        skipLibCheck: true,
        types: [],
      });
      const sdkDir = `${root}sdk/`;
      const contractDir = `${repo}src-contract/`;
      const written: string[] = [];
      const result = program.emit(undefined, (fileName, text) => {
        // Declarations of the SDK's own files, with the contract imports pointed at types/contract/.
        if (!fileName.startsWith(sdkDir)) return;
        const name = fileName.slice(fileName.lastIndexOf('/') + 1);
        mkdirSync(typesDir, { recursive: true });
        writeFileSync(`${typesDir}/${name}`, text.replaceAll("'../../src-contract/", "'./contract/"));
        written.push(name);
      });
      const errors = result.diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error);
      if (errors.length) throw new Error(ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }));
      if (written.length === 0) throw new Error('no SDK declarations were emitted');
      writeContractTypes(program, contractDir, `${typesDir}/contract`);
      writeFileSync(`${buildDir}/sdk/castbridge-sdk.d.ts`, "export * from './types/index.js';\n");
    },
  };
}

/** Each exported type of the contract files the SDK reaches, expanded into plain TypeScript (no TypeBox). */
function writeContractTypes(program: ts.Program, contractDir: string, dir: string): void {
  const checker = program.getTypeChecker();
  const printer = ts.createPrinter();
  const flags = ts.NodeBuilderFlags.InTypeAlias | ts.NodeBuilderFlags.NoTruncation | ts.NodeBuilderFlags.MultilineObjectLiterals;
  for (const file of program.getSourceFiles()) {
    if (!file.fileName.startsWith(contractDir)) continue;
    const module = checker.getSymbolAtLocation(file);
    if (!module) continue;
    const lines = [`// Generated from ${file.fileName.slice(contractDir.length - 'src-contract/'.length)} by the studio build: the wire types as TypeScript.`];
    for (const symbol of checker.getExportsOfModule(module)) {
      if (!(symbol.flags & ts.SymbolFlags.TypeAlias)) continue;
      const node = checker.typeToTypeNode(checker.getDeclaredTypeOfSymbol(symbol), undefined, flags);
      if (!node) throw new Error(`cannot write out the contract type ${symbol.name}`);
      lines.push(`export type ${symbol.name} = ${printer.printNode(ts.EmitHint.Unspecified, node, file)};`);
    }
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/${file.fileName.slice(contractDir.length).replace(/\.ts$/, '.d.ts')}`, `${lines.join('\n')}\n`);
  }
}

export default defineConfig({
  root,
  base: '/',
  plugins: [react(), sdkDeclarations()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: true,
    // mpegts.js alone is ~400 kB; the studio is loaded from the local host, not over the internet.
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      input: {
        studio: `${root}index.html`,
        example: `${root}sdk/index.html`,
        'castbridge-sdk': `${root}sdk/index.ts`,
      },
      // Keep the SDK entry's exports: pages import it with <script type="module">.
      preserveEntrySignatures: 'exports-only',
      output: {
        entryFileNames: (chunk) => (chunk.name === 'castbridge-sdk' ? 'sdk/castbridge-sdk.js' : 'assets/[name]-[hash].js'),
      },
    },
  },
});
