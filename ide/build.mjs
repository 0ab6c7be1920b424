// Bundles the IDE (GraphiQL 5 with the explorer) and the schema picture (GraphQL Voyager)
// into ide/dist: a flat folder of static files that the API serves itself, so both pages
// work on a network without internet. Monaco's web workers are bundled as files of their
// own; each script, stylesheet and font gets a gzip copy beside it. `manifest.json` lists every file with its digest: the server serves those files
// only, and uses the digest of the whole build to bust browser caches.
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.join(here, 'dist');
const modules = path.join(here, '..', 'node_modules');

const common = {
  bundle: true,
  minify: true,
  legalComments: 'linked',
  target: ['es2022'],
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
  outdir,
};

await rm(outdir, { recursive: true, force: true });

// The two pages: each entry yields NAME.js and, from the CSS it imports, NAME.css.
await esbuild.build({
  ...common,
  entryPoints: {
    ide: path.join(here, 'src', 'ide.jsx'),
    voyager: path.join(here, 'src', 'voyager.jsx'),
  },
  format: 'iife',
  jsx: 'automatic',
  loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'dataurl' },
  assetNames: '[name]-[hash]',
});

// Monaco's language services run in web workers, one bundle each (src/workers.js names them).
await esbuild.build({
  ...common,
  entryPoints: {
    'editor.worker': path.join(modules, 'monaco-editor/esm/vs/editor/editor.worker.js'),
    'json.worker': path.join(modules, 'monaco-editor/esm/vs/language/json/json.worker.js'),
    'graphql.worker': path.join(modules, 'monaco-graphql/esm/graphql.worker.js'),
  },
  format: 'iife',
});

// A gzip copy of each script, stylesheet and font, served to browsers that accept it.
for (const name of await readdir(outdir)) {
  if (/\.(js|css|ttf)$/.test(name)) {
    const data = await readFile(path.join(outdir, name));
    await writeFile(path.join(outdir, `${name}.gz`), gzipSync(data, { level: 9 }));
  }
}

const files = {};
const whole = createHash('sha256');
for (const name of (await readdir(outdir)).sort()) {
  const digest = createHash('sha256').update(await readFile(path.join(outdir, name))).digest('hex');
  files[name] = digest;
  whole.update(`${name}:${digest}\n`);
}
const manifest = { build: whole.digest('hex').slice(0, 16), files };
await writeFile(path.join(outdir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`ide/dist: ${Object.keys(files).length} files, build ${manifest.build}`);
