// The e2e dependencies stay reproducible: exact versions in package.json and
// a lockfile that resolves from the public npm registry only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

const readJSON = async (name) => JSON.parse(await readFile(new URL(`../${name}`, import.meta.url), 'utf8'));

test('package.json pins exact versions and package-lock.json uses registry.npmjs.org only', async () => {
  const pkg = await readJSON('package.json');
  const lock = await readJSON('package-lock.json');
  const declared = { ...pkg.dependencies, ...pkg.devDependencies };
  for (const [name, version] of Object.entries(declared)) {
    assert.match(version, /^\d+\.\d+\.\d+$/, `${name} is pinned exactly`);
    assert.equal(lock.packages[`node_modules/${name}`]?.version, version, `${name} is locked at ${version}`);
  }
  const installed = Object.entries(lock.packages).filter(([path]) => path !== '');
  assert.ok(installed.length > 0);
  for (const [path, entry] of installed) {
    assert.ok(entry.resolved?.startsWith('https://registry.npmjs.org/'), `${path} resolves from ${entry.resolved}`);
    assert.match(entry.integrity ?? '', /^sha512-/, `${path} has an integrity hash`);
  }
});
