// The renderer alone, as a static site: `npm run build:web` writes out/renderer, which
// `photowords serve` hands to browsers. electron.vite.config.ts reuses these options for the
// Electron window, so both shells load the very same build.
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin, type UserConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// The dev server injects each component's CSS as a <style> element, which the page's strict
// policy refuses; only while serving, allow inline styles. Builds keep the policy as written.
const devStyles: Plugin = {
  name: 'photowords-dev-csp',
  apply: 'serve',
  transformIndexHtml: (html) => html.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
};

export const rendererConfig: UserConfig = {
  root: here('./src/renderer'),
  // Relative asset URLs: the page loads from file://, a custom protocol or any HTTP origin and path.
  base: './',
  plugins: [vue(), devStyles],
  build: {
    outDir: here('./out/renderer'),
    emptyOutDir: true,
    rollupOptions: { input: { index: here('./src/renderer/index.html') } },
  },
};

export default defineConfig(rendererConfig);
