// Live data as front-ends receive it: the `graphql-ws` client library,
// Apollo Client's GraphQLWsLink and the `graphql-sse` client subscribe to
// contactChanged on /query, and a contact renamed through the gateway, or
// directly upstream as another amoCRM user would, reaches each of them with
// the contact read afresh.
//
// A change reaches subscribers the way amoCRM's would: the embedded sandbox
// delivers an amoCRM-format webhook to the gateway, which publishes what it
// reports. The upstream tests need the sandbox's own address in
// AMOGQL_UPSTREAM_URL (the gateway logs it as "upstream" at start-up) and
// skip, saying so, without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { createClient as createWsClient } from 'graphql-ws';
import { createClient as createSseClient } from 'graphql-sse';
import { ApolloClient, InMemoryCache, gql } from '@apollo/client/core';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';

import { graphql, queryURL } from '../lib/gateway.mjs';

const WS_URL = queryURL().replace(/^http/, 'ws');
const EVENT_TIMEOUT_MS = 10_000;
const SANDBOX_TOKEN = 'sandbox-token'; // the embedded sandbox's token (sandbox.DefaultToken)

const CONTACT_CHANGED = `
  subscription ContactChanged($ids: [ID!]) {
    contactChanged(ids: $ids, actions: [UPDATED]) { action id at contact { id name } }
  }
`;

/** Creates a contact of this test's own, so parallel test files never share one. */
async function newContact(name) {
  const data = await graphql(
    `mutation($name: String!) { createContacts(input: [{name: $name}]) { contacts { id } userErrors { message } } }`,
    { name },
  );
  assert.deepEqual(data.createContacts.userErrors, []);
  return data.createContacts.contacts[0].id;
}

async function renameThroughGateway(id, name) {
  const data = await graphql(
    `mutation($id: ID!, $name: String!) { updateContact(input: {id: $id, name: $name}) { userErrors { message } } }`,
    { id, name },
  );
  assert.deepEqual(data.updateContact.userErrors, []);
}

/** Renames a contact with a PATCH straight to the sandbox, as an edit in amoCRM itself. */
async function renameUpstream(upstream, id, name) {
  const res = await fetch(`${upstream}/api/v4/contacts/${id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SANDBOX_TOKEN}` },
    body: JSON.stringify({ name }),
  });
  assert.ok(res.ok, `PATCH /api/v4/contacts/${id}: HTTP ${res.status}: ${await res.text()}`);
}

/**
 * Waits for the first value `subscribe(sink)` delivers, or `null` after
 * EVENT_TIMEOUT_MS; `subscribe` returns a function that ends the subscription.
 * A `ready` promise resolves once the subscription is registered (for
 * WebSockets: once the socket is acknowledged and the subscribe was sent).
 */
function firstEvent(subscribe) {
  let stop = () => {};
  const value = new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(null), EVENT_TIMEOUT_MS);
    stop = subscribe({
      next: (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      error: (err) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(JSON.stringify(err)));
      },
      complete: () => {},
    });
  });
  return { value: value.finally(() => stop()) };
}

/** The gateway registers a subscription asynchronously after the subscribe message. */
const settle = () => new Promise((r) => setTimeout(r, 500));

/** Checks one delivered result. */
function expectRenamed(result, id, name) {
  assert.ok(result, `no change reached the subscriber within ${EVENT_TIMEOUT_MS} ms`);
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  const change = result.data.contactChanged;
  assert.equal(change.action, 'UPDATED');
  assert.equal(change.id, id);
  assert.match(change.at, /^\d{4}-\d\d-\d\dT/);
  assert.equal(change.contact?.name, name, 'the contact is read after the change');
}

function wsClient() {
  return createWsClient({ url: WS_URL, webSocketImpl: WebSocket, lazy: true, retryAttempts: 0 });
}

test('graphql-ws: a query runs over the WebSocket', async () => {
  const client = wsClient();
  try {
    const result = await new Promise((resolve, reject) => {
      let out;
      client.subscribe(
        { query: '{ contact(id: 3) { id name } }' },
        { next: (v) => (out = v), error: reject, complete: () => resolve(out) },
      );
    });
    assert.deepEqual(result, { data: { contact: { id: '3', name: result.data.contact.name } } });
    assert.ok(result.data.contact.name);
  } finally {
    await client.dispose();
  }
});

test('graphql-sse: a query streams one result, then completes', async () => {
  const client = createSseClient({ url: queryURL(), retryAttempts: 0 });
  try {
    const results = [];
    await new Promise((resolve, reject) => {
      client.subscribe(
        { query: '{ contact(id: 3) { id } }' },
        { next: (v) => results.push(v), error: reject, complete: resolve },
      );
    });
    assert.deepEqual(results, [{ data: { contact: { id: '3' } } }]);
  } finally {
    client.dispose();
  }
});

for (const via of ['gateway', 'upstream']) {
  const rename = async (id, name) => {
    if (via === 'gateway') return renameThroughGateway(id, name);
    return renameUpstream(process.env.AMOGQL_UPSTREAM_URL.replace(/\/+$/, ''), id, name);
  };
  const skipReason = () => {
    if (via === 'upstream' && !process.env.AMOGQL_UPSTREAM_URL) {
      return "AMOGQL_UPSTREAM_URL is not set: the embedded sandbox's address (the gateway logs it as upstream at start-up)";
    }
    return null;
  };

  test(`graphql-ws: a contact renamed through the ${via} reaches contactChanged`, async (t) => {
    if (skipReason()) return t.skip(skipReason());
    const id = await newContact(`ws ${via} before`);
    const client = wsClient();
    try {
      const { value } = firstEvent((sink) =>
        client.subscribe({ query: CONTACT_CHANGED, variables: { ids: [id] } }, sink),
      );
      await settle();
      await rename(id, `ws ${via} after`);
      expectRenamed(await value, id, `ws ${via} after`);
    } finally {
      await client.dispose();
    }
  });

  test(`Apollo GraphQLWsLink: a contact renamed through the ${via} reaches contactChanged`, async (t) => {
    if (skipReason()) return t.skip(skipReason());
    const id = await newContact(`apollo ${via} before`);
    const wsc = wsClient();
    const client = new ApolloClient({ link: new GraphQLWsLink(wsc), cache: new InMemoryCache() });
    try {
      const { value } = firstEvent((sink) => {
        const sub = client
          .subscribe({ query: gql(CONTACT_CHANGED), variables: { ids: [id] } })
          .subscribe(sink);
        return () => sub.unsubscribe();
      });
      await settle();
      await rename(id, `apollo ${via} after`);
      const result = await value;
      expectRenamed(result, id, `apollo ${via} after`);
      if (result) {
        // Apollo normalizes the contact into its cache like any query's.
        const cached = client.cache.extract()[`Contact:${id}`];
        assert.equal(cached?.name, `apollo ${via} after`);
      }
    } finally {
      client.stop();
      await wsc.dispose();
    }
  });

  test(`graphql-sse: a contact renamed through the ${via} reaches contactChanged`, async (t) => {
    if (skipReason()) return t.skip(skipReason());
    const id = await newContact(`sse ${via} before`);
    const client = createSseClient({ url: queryURL(), retryAttempts: 0 });
    try {
      const { value } = firstEvent((sink) =>
        client.subscribe({ query: CONTACT_CHANGED, variables: { ids: [id] } }, sink),
      );
      await settle();
      await rename(id, `sse ${via} after`);
      expectRenamed(await value, id, `sse ${via} after`);
    } finally {
      client.dispose();
    }
  });
}
