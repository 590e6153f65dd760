// Builds the studio (dist/renderer/index.html), the SDK example page (dist/renderer/sdk/index.html) and a
// stand-alone ES module of the SDK for any web page (dist/renderer/sdk/castbridge-sdk.js).
// `npm run build` = `vite build --config src-renderer/vite.config.ts`.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/renderer', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
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
