import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  plugins: [svelte()],
  // Relative asset URLs so the same dist works under Wails, the bridge and file://.
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // One small app: keep the output predictable for embedding.
    chunkSizeWarningLimit: 600,
  },
  // Loopback only; 34115 is left to `ferry ui`.
  server: { host: '127.0.0.1', port: 5173 },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    // The contrast test reads the theme tokens of app.css as text.
    css: { include: [/app\.css/] },
  },
});
