// Builds the playground bundle into ../dist, which the Go package embeds.
//
// Output layout (all of it committed, so Go builds never need Node):
//   dist/assets/playground-<hash>.js    the minified GraphiQL application
//   dist/assets/playground-<hash>.css   its styles, fonts inlined as data: URIs
//   dist/manifest.json                  which asset files index.html must load
//   dist/THIRD_PARTY_NOTICES.txt        licenses of every bundled npm package
//
// The build must be reproducible: the same lockfile gives the same bytes, so
// check.sh can rebuild and demand an empty git diff. Hence no timestamps, no
// absolute paths, and sorted output wherever order could vary.
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const webDir = path.dirname(fileURLToPath(import.meta.url));
const distDir = path.resolve(webDir, '..', 'dist');
const assetsDir = path.join(distDir, 'assets');

// Only the bare specifier is stubbed: the playground's own import of
// 'graphql-ws/client' must reach the real client (esbuild's alias option
// would redirect that subpath too).
const stubToolkitGraphqlWs = {
  name: 'stub-toolkit-graphql-ws',
  setup(build) {
    build.onResolve({ filter: /^graphql-ws$/ }, () => ({
      path: path.join(webDir, 'src', 'no-graphql-ws.js'),
    }));
  },
};

await rm(distDir, { recursive: true, force: true });

const result = await esbuild.build({
  absWorkingDir: webDir,
  entryPoints: { playground: 'src/main.jsx' },
  outdir: assetsDir,
  // Content hashes in the names let the server cache assets forever.
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  minify: true,
  sourcemap: false,
  charset: 'utf8',
  // License texts go to THIRD_PARTY_NOTICES.txt instead of the bundle.
  legalComments: 'none',
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [stubToolkitGraphqlWs],
  // Any font or image that a stylesheet references by file (rather than as a
  // data: URI) is copied next to the bundle and served by the gateway too.
  loader: {
    '.woff': 'file',
    '.woff2': 'file',
    '.ttf': 'file',
    '.eot': 'file',
    '.png': 'file',
    '.svg': 'file',
    '.gif': 'file',
  },
  metafile: true,
  logLevel: 'warning',
});

// The manifest lists asset file names (relative to dist/assets) in load order.
const scripts = [];
const styles = [];
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  if (output.entryPoint !== 'src/main.jsx') continue;
  scripts.push(path.basename(file));
  if (output.cssBundle) styles.push(path.basename(output.cssBundle));
}
if (scripts.length !== 1 || styles.length !== 1) {
  throw new Error(`expected one script and one stylesheet, got ${scripts} and ${styles}`);
}
const assets = (await readdir(assetsDir)).sort();
await writeFile(
  path.join(distDir, 'manifest.json'),
  JSON.stringify({ scripts, styles }, null, 2) + '\n',
);

await writeFile(
  path.join(distDir, 'THIRD_PARTY_NOTICES.txt'),
  await notices(Object.keys(result.metafile.inputs)),
);

for (const name of assets) {
  const { size } = await stat(path.join(assetsDir, name));
  console.log(`dist/assets/${name}  ${(size / 1024).toFixed(1)} KiB`);
}

// notices returns the license text of every npm package that contributed a
// file to the bundle, sorted by name and version (byte order, not locale).
async function notices(inputs) {
  const roots = new Set();
  for (const input of inputs) {
    const parts = input.split('/');
    const at = parts.lastIndexOf('node_modules');
    if (at < 0) continue;
    const len = parts[at + 1].startsWith('@') ? 2 : 1;
    roots.add(parts.slice(0, at + 1 + len).join('/'));
  }
  const sections = [];
  for (const root of roots) {
    const dir = path.join(webDir, root);
    const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'));
    const licenseFile = (await readdir(dir))
      .filter((f) => /^(licen[cs]e|copying|notice)(\.|$)/i.test(f))
      .sort()[0];
    const text = licenseFile
      ? (await readFile(path.join(dir, licenseFile), 'utf8')).trim()
      : `License: ${pkg.license ?? 'unknown'} (the package ships no license file)`;
    const id = `${pkg.name}@${pkg.version}`;
    sections.push({ id, text: `${id} (${pkg.license ?? 'unknown'})\n\n${text}\n` });
  }
  sections.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const rule = '\n' + '-'.repeat(72) + '\n\n';
  return (
    'The amogql playground bundle includes the following npm packages.\n' +
    rule +
    sections.map((s) => s.text).join(rule)
  );
}
