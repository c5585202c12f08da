/**
 * Builds the console into dist/, served by the gateway at /console. The SDK
 * and protocol packages are compiled from their TypeScript sources through
 * the SDK's browser entry point; the protocol's `node:crypto` is mapped to
 * src/shims/node-crypto.ts.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  base: '/console/',
  resolve: {
    alias: [
      { find: /^@ruralcredit\/client-sdk$/, replacement: here('../client-sdk/src/browser.ts') },
      { find: /^@ruralcredit\/protocol$/, replacement: here('../protocol/src/index.ts') },
      { find: /^node:crypto$/, replacement: here('src/shims/node-crypto.ts') },
    ],
  },
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
});
