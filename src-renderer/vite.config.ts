// Builds the studio (dist/renderer/index.html), the SDK example page (dist/renderer/sdk/index.html) and a
// stand-alone ES module of the SDK for any web page (dist/renderer/sdk/castbridge-sdk.js).
// `npm run build` = `vite build --config src-renderer/vite.config.ts`.
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import react from '@vitejs/plugin-react';
import ts from 'typescript';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/renderer', import.meta.url));

/** Emits the SDK's type declarations beside its bundle: dist/renderer/sdk/castbridge-sdk.d.ts (+ types/). */
function sdkDeclarations(): Plugin {
  return {
    name: 'castbridge-sdk-declarations',
    apply: 'build',
    closeBundle() {
      const typesDir = `${outDir}/sdk/types`;
      const program = ts.createProgram([`${root}sdk/index.ts`], {
        declaration: true,
        emitDeclarationOnly: true,
        rootDir: `${root}sdk`,
        outDir: typesDir,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
        strict: true,
        skipLibCheck: true,
        types: [],
      });
      const result = program.emit();
      const errors = result.diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error);
      if (errors.length) throw new Error(ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }));
      writeFileSync(`${outDir}/sdk/castbridge-sdk.d.ts`, "export * from './types/index.js';\n");
    },
  };
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
