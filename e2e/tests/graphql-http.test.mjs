// GraphQL-over-HTTP conformance of POST/GET /query, checked with the audit
// suite that ships in the graphql-http package.
//
// Every MUST has to pass. A failing SHOULD fails the run unless
// should-exceptions.json names its audit id with a reason; such audits are
// reported as TODO with what the response lacked. MAY results are only reported.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serverAudits } from 'graphql-http';

import { artifactsDir, queryURL } from '../lib/gateway.mjs';

const exceptions = JSON.parse(
  await readFile(new URL('../should-exceptions.json', import.meta.url), 'utf8'),
);
const audits = serverAudits({ url: queryURL() });
const levelOf = (audit) => audit.name.split(' ', 1)[0];
const results = [];

// The audits read most response bodies themselves; show what is left.
async function describeResponse(response) {
  if (!response) return '';
  let text = '';
  try {
    text = await response.clone().text();
  } catch {
    text = '(body already read by the audit)';
  }
  const type = response.headers.get('content-type') ?? '(none)';
  return `HTTP ${response.status}, content-type ${type}, body ${text.slice(0, 300)}`;
}

test('should-exceptions.json names only SHOULD audits, each with a reason', () => {
  const byId = new Map(audits.map((audit) => [audit.id, audit]));
  for (const [id, reason] of Object.entries(exceptions)) {
    const audit = byId.get(id);
    assert.ok(audit, `should-exceptions.json: no audit has id ${id}`);
    assert.equal(levelOf(audit), 'SHOULD', `should-exceptions.json: ${id} is "${audit.name}", not a SHOULD`);
    assert.equal(typeof reason, 'string');
    assert.ok(reason.trim().length > 0, `should-exceptions.json: ${id} needs a reason`);
  }
});

describe(`graphql-http server audits against ${queryURL()}`, () => {
  for (const audit of audits) {
    const level = levelOf(audit);
    const excused = level === 'SHOULD' && Object.hasOwn(exceptions, audit.id);

    test(`${audit.id} ${audit.name}`, async (t) => {
      const result = await audit.fn();
      const entry = { id: audit.id, level, name: audit.name, status: result.status };
      results.push(entry);
      if (result.status === 'ok') {
        if (excused) t.diagnostic(`${audit.id} passes now: drop it from should-exceptions.json`);
        return;
      }
      entry.reason = result.reason;
      entry.response = await describeResponse(result.response);
      const detail = `${result.reason} (${entry.response})`;
      if (level === 'MAY') {
        t.diagnostic(`MAY not met: ${detail}`);
        return;
      }
      if (excused) {
        // Reported, not failed: the lead decided to live with it for now.
        t.todo(`allow-listed (${exceptions[audit.id]}): ${detail}`);
        return;
      }
      assert.fail(`${level} ${audit.id} failed: ${detail}`);
    });
  }

  after(async () => {
    await mkdir(artifactsDir, { recursive: true });
    await writeFile(join(artifactsDir, 'graphql-http-audit.json'), `${JSON.stringify(results, null, 2)}\n`);
  });
});

test('audit summary', (t) => {
  assert.equal(results.length, audits.length, 'every audit ran');
  for (const level of ['MUST', 'SHOULD', 'MAY']) {
    const mine = results.filter((r) => r.level === level);
    const failed = mine.filter((r) => r.status !== 'ok');
    t.diagnostic(
      `${level}: ${mine.length - failed.length}/${mine.length} ok` +
        (failed.length ? `; not ok: ${failed.map((r) => r.id).join(', ')}` : ''),
    );
  }
});
