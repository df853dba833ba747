// The GraphiQL playground at / in a real (Debian) Chromium driven by
// playwright-core: it must load and run a typed query while talking to no
// host but the gateway itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

import { artifactsDir, gatewayURL, graphql } from '../lib/gateway.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const QUERY = '{ contacts(first: 2) { nodes { id name } } }';
const compact = (s) => s.replace(/\s+/g, '');

// Text of the CodeMirror 5 editor inside `selector`, as its model holds it.
function editorValue(page, selector) {
  return page.$eval(selector, (el) => {
    const cm = el.querySelector('.CodeMirror');
    return cm?.CodeMirror ? cm.CodeMirror.getValue() : el.innerText;
  });
}

test('the playground runs a typed query and talks only to the gateway', { timeout: 90_000 }, async (t) => {
  const origin = new URL(gatewayURL()).origin;
  assert.equal(new URL(origin).hostname, '127.0.0.1', 'AMOGQL_URL must be on 127.0.0.1');

  const userDataDir = await mkdtemp(join(tmpdir(), 'amogql-e2e-chromium-'));
  t.after(() => rm(userDataDir, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
  });
  t.after(() => context.close());

  // Every request the page makes is recorded; any to another origin is
  // blocked and fails the test. data: URLs never reach the network.
  const requests = [];
  const foreign = [];
  const isGateway = (url) => url.startsWith('data:') || new URL(url).origin === origin;
  context.on('request', (req) => {
    requests.push(`${req.method()} ${req.url()}`);
    if (!isGateway(req.url())) foreign.push(req.url());
  });
  await context.route('**/*', (route) =>
    isGateway(route.request().url()) ? route.continue() : route.abort('blockedbyclient'),
  );
  const pageErrors = [];
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('websocket', (ws) => {
    if (!isGateway(ws.url().replace(/^ws/, 'http'))) foreign.push(ws.url());
  });

  const pageResponse = await page.goto(`${origin}/`, { waitUntil: 'load' });
  assert.equal(pageResponse.status(), 200);
  const queryEditor = '.graphiql-query-editor';
  await page.waitForSelector(`${queryEditor} .CodeMirror`, { state: 'visible' });

  // Replace the default query by typing, as a person would. CodeMirror closes
  // brackets itself and steps over the closing ones typed after.
  await page.click(`${queryEditor} .CodeMirror-lines`);
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.type(QUERY, { delay: 5 });
  await page.keyboard.press('Escape'); // closes any autocomplete popup
  assert.equal(compact(await editorValue(page, queryEditor)), compact(QUERY), 'editor holds the typed query');
  // GraphiQL takes an edit in (operation name, saved query) 100 ms after the
  // last keystroke; run earlier and it sends the old operationName with the
  // new query. Wait until it has saved what was typed, as a person's pause would.
  await page.waitForFunction(
    (typed) => localStorage.getItem('graphiql:query')?.replace(/\s+/g, '') === typed,
    compact(QUERY),
  );

  const [queryResponse] = await Promise.all([
    page.waitForResponse(
      (res) => res.url() === `${origin}/query` && (res.request().postData() ?? '').includes('contacts(first: 2)'),
    ),
    page.click('.graphiql-execute-button'),
  ]);
  assert.equal(
    queryResponse.status(),
    200,
    `POST /query ${queryResponse.request().postData()} answered: ${await queryResponse.text()}`,
  );

  // The result pane shows the same contacts the API gives.
  const expected = await graphql(QUERY);
  assert.equal(expected.contacts.nodes.length, 2);
  const resultPane = '.graphiql-response';
  await page.waitForFunction(
    ({ selector, name }) => document.querySelector(selector)?.innerText.includes(name),
    { selector: resultPane, name: expected.contacts.nodes[1].name },
  );
  const shown = JSON.parse(await editorValue(page, resultPane));
  assert.deepEqual(shown, { data: expected });
  const visible = await page.innerText(resultPane);
  for (const { id, name } of expected.contacts.nodes) {
    assert.ok(visible.includes(`"${id}"`) && visible.includes(`"${name}"`), `result pane shows contact ${id} ${name}`);
  }

  await mkdir(artifactsDir, { recursive: true });
  await page.screenshot({ path: join(artifactsDir, 'playground.png') });

  t.diagnostic(`the page made ${requests.length} requests, e.g. ${requests.slice(0, 4).join(', ')}`);
  assert.deepEqual(foreign, [], 'the page requested hosts other than the gateway');
  assert.ok(requests.some((r) => r.startsWith(`GET ${origin}/playground/assets/`)), 'assets come from the gateway');
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
});
