// The README's examples, read from README.md itself at test time: a test
// that runs one proves the README as it stands, not a copy that may drift.
import { readFileSync } from 'node:fs';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/**
 * The first ```graphql block after the README paragraph that starts with
 * `intro` (at the start of a line), e.g. readmeQuery('A sales board:').
 * Throws when the paragraph or its block is gone, so a renamed example fails
 * loudly instead of testing nothing.
 */
export function readmeQuery(intro) {
  const at = README.indexOf(`\n${intro}`);
  if (at < 0) throw new Error(`README.md has no paragraph starting with ${JSON.stringify(intro)}`);
  const block = /^```graphql\n([\s\S]*?)^```$/m.exec(README.slice(at));
  if (!block) throw new Error(`README.md has no graphql block after ${JSON.stringify(intro)}`);
  return block[1];
}
