import { defaultClientConditions, defineConfig } from "vite";

/**
 * The dashboard is built once, at `npm run build`, into dist/ (index.html and
 * hashed assets) that the hub serves at `/`. Everything it loads comes from
 * that build: no CDN, no fonts or scripts from elsewhere.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: "/",
  // Workspace packages (the generated LinkerService) compile from their TypeScript sources.
  resolve: { conditions: ["linker-source", ...defaultClientConditions] },
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1024,
  },
  logLevel: "warn",
});
