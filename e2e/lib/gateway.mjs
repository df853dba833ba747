// Where the gateway under test is, as run.sh (or a person) tells the tests.
import { fileURLToPath } from 'node:url';

/** Base URL of the running gateway, without a trailing slash. */
export function gatewayURL() {
  const url = process.env.AMOGQL_URL;
  if (!url) {
    throw new Error(
      'AMOGQL_URL is not set: run e2e/run.sh, or start the gateway yourself and ' +
        'export AMOGQL_URL=http://127.0.0.1:PORT',
    );
  }
  return url.replace(/\/+$/, '');
}

/** The GraphQL endpoint of the gateway. */
export function queryURL() {
  return `${gatewayURL()}/query`;
}

/** e2e/artifacts/: screenshots and reports of the last run (gitignored). */
export const artifactsDir = fileURLToPath(new URL('../artifacts/', import.meta.url));

/** POSTs one GraphQL request and returns the parsed body; throws on HTTP errors. */
export async function graphql(query, variables) {
  const res = await fetch(queryURL(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST /query: HTTP ${res.status}: ${text}`);
  const body = JSON.parse(text);
  if (body.errors?.length) throw new Error(`POST /query: errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}
