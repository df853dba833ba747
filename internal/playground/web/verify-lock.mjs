// Fails unless package.json pins exact versions and package-lock.json installs
// every package from the npm registry with an integrity hash.
//
// Air-gapped and CI machines reach the npm registry and nothing else, so a
// dependency from a git URL, a tarball URL or a local path would break
// `npm ci` there, and a version range would make rebuilds drift.
import { readFile } from 'node:fs/promises';

const registry = 'https://registry.npmjs.org/';
const exact = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const problems = [];

const pkg = JSON.parse(await readFile(new URL('package.json', import.meta.url), 'utf8'));
for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
  for (const [name, spec] of Object.entries(pkg[field] ?? {})) {
    if (!exact.test(spec)) problems.push(`package.json ${field}.${name}: "${spec}" is not an exact version`);
  }
}

const lock = JSON.parse(await readFile(new URL('package-lock.json', import.meta.url), 'utf8'));
if (!(lock.lockfileVersion >= 2)) problems.push(`package-lock.json: lockfileVersion ${lock.lockfileVersion} is older than 2`);
for (const [where, entry] of Object.entries(lock.packages ?? {})) {
  if (where === '') continue;
  if (entry.link) problems.push(`${where}: is a link to ${entry.resolved}`);
  if (entry.resolved !== undefined && !entry.resolved.startsWith(registry)) {
    problems.push(`${where}: resolved from ${entry.resolved}, not the npm registry`);
  }
  if (!exact.test(entry.version ?? '')) problems.push(`${where}: version "${entry.version}" is not a registry version`);
  if (!entry.integrity) problems.push(`${where}: no integrity hash`);
}

if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`package-lock.json: ${Object.keys(lock.packages).length - 1} packages, all from the npm registry`);
