// Unit tests of the playground's subscription routing (src/subscriptions.mjs),
// run by check.sh with Node's test runner. The browser side, a subscription
// through a real gateway, is e2e/tests/playground.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'graphql';

import {
  connectionParams,
  createPlaygroundFetcher,
  describeClose,
  isSubscription,
  subscriptionURL,
} from '../src/subscriptions.mjs';

test('subscriptionURL', () => {
  const cases = [
    ['/query', 'http://127.0.0.1:8080/', 'ws://127.0.0.1:8080/query'],
    ['/query', 'https://gw.example.com/ide/', 'wss://gw.example.com/query'],
    ['query', 'https://gw.example.com/ide/', 'wss://gw.example.com/ide/query'],
    ['/q?tenant=a#x', 'http://localhost:8080/', 'ws://localhost:8080/q?tenant=a'],
    ['https://api.example.com/graphql', 'http://localhost:8080/', 'wss://api.example.com/graphql'],
    ['//api.example.com/graphql', 'https://gw.example.com/', 'wss://api.example.com/graphql'],
    ['http://[::1]:9000/query', 'http://[::1]:9000/', 'ws://[::1]:9000/query'],
  ];
  for (const [endpoint, page, want] of cases) {
    assert.equal(subscriptionURL(endpoint, page), want, `${endpoint} on ${page}`);
  }
});

test('connectionParams', () => {
  const cases = [
    [undefined, undefined],
    [null, undefined],
    [{}, undefined],
    [{ 'Content-Type': 'application/json' }, undefined],
    [{ 'X-API-Key': 'k1' }, { 'X-API-Key': 'k1' }],
    [{ 'x-api-key': 'k1', 'X-Request-Id': 'r' }, { 'X-API-Key': 'k1' }],
    [{ authorization: 'Bearer t' }, { Authorization: 'Bearer t' }],
    [{ 'X-Api-Key': 'k', Authorization: 'Bearer t' }, { 'X-API-Key': 'k', Authorization: 'Bearer t' }],
    [{ 'X-API-Key': '' }, undefined],
    [{ 'X-API-Key': 42 }, { 'X-API-Key': '42' }],
  ];
  for (const [headers, want] of cases) {
    assert.deepEqual(connectionParams(headers), want, JSON.stringify(headers));
  }
});

test('isSubscription', () => {
  const cases = [
    ['subscription { contactChanged { id } }', undefined, true],
    ['subscription S { contactChanged { id } }', 'S', true],
    ['{ contacts { nodes { id } } }', undefined, false],
    ['mutation { updateContact(input: {id: "1"}) { contact { id } } }', undefined, false],
    ['query Q { a } subscription S { b }', 'Q', false],
    ['query Q { a } subscription S { b }', 'S', true],
    ['query Q { a } subscription S { b }', undefined, false],
  ];
  for (const [doc, name, want] of cases) {
    assert.equal(isSubscription(parse(doc), name), want, `${doc} (${name})`);
  }
  assert.equal(isSubscription(undefined, undefined), false);
});

test('describeClose', () => {
  assert.match(describeClose({ code: 4403, reason: 'Forbidden' }, 'ws://h/query').message, /4403: Forbidden.*X-API-Key/);
  assert.deepEqual(Object.keys(describeClose({ code: 4403, reason: '' }, 'ws://h/query')), ['message'], 'no stack trace');
  assert.match(describeClose({ code: 1006, reason: '' }, 'ws://h/query').message, /ws:\/\/h\/query \(code 1006/);
  assert.match(describeClose({ code: 4400, reason: 'bad' }, 'ws://h/query').message, /closed with code 4400: bad\.$/);
  const errors = [{ message: 'boom' }];
  assert.equal(describeClose(errors, 'ws://h/query'), errors, 'GraphQL errors pass through');
});

// fakeClients stands in for graphql-ws's createClient and records its use.
function fakeClients() {
  const made = [];
  const createClient = (options) => {
    const client = { options, subscribed: [], disposed: 0 };
    client.subscribe = (params, sink) => {
      client.subscribed.push({ params, sink });
      return () => client.disposed++;
    };
    made.push(client);
    return client;
  };
  return { made, createClient };
}

test('createPlaygroundFetcher routes subscriptions to one client per credential', () => {
  const { made, createClient } = fakeClients();
  const httpCalls = [];
  const fetcher = createPlaygroundFetcher({
    httpFetcher: (params, opts) => {
      httpCalls.push({ params, opts });
      return Promise.resolve({ data: {} });
    },
    wsURL: 'ws://h/query',
    createClient,
  });

  const sub = 'subscription { contactChanged { id } }';
  const run = (query, headers) => fetcher({ query }, { documentAST: parse(query), headers });

  run('{ a }', { 'X-API-Key': 'k' });
  assert.equal(httpCalls.length, 1, 'a query goes over HTTP');
  assert.equal(made.length, 0, 'no WebSocket client for a query');

  const seen = [];
  const observable = run(sub, { 'x-api-key': 'k', 'X-Other': 'o' });
  const subscription = observable.subscribe({
    next: (r) => seen.push(['next', r]),
    error: (e) => seen.push(['error', e.message]),
    complete: () => seen.push(['complete']),
  });
  assert.equal(made.length, 1);
  assert.equal(made[0].options.url, 'ws://h/query');
  assert.deepEqual(made[0].options.connectionParams, { 'X-API-Key': 'k' });
  assert.equal(made[0].options.retryAttempts, 0);

  const { sink } = made[0].subscribed[0];
  sink.next({ data: { contactChanged: { id: '1' } } });
  sink.error({ code: 4403, reason: 'Forbidden' });
  sink.complete();
  assert.deepEqual(seen, [
    ['next', { data: { contactChanged: { id: '1' } } }],
    ['error', seen[1][1]],
    ['complete'],
  ]);
  assert.match(seen[1][1], /4403/);
  subscription.unsubscribe();
  assert.equal(made[0].disposed, 1, 'unsubscribe disposes the operation');

  run(sub, { 'X-API-Key': 'k' }).subscribe({});
  assert.equal(made.length, 1, 'same credential, same client');
  run(sub, { 'X-API-Key': 'other' }).subscribe({});
  run(sub, undefined).subscribe({});
  assert.equal(made.length, 3, 'a new credential, and none, each get their own client');
  assert.equal(made[2].options.connectionParams, undefined);
  assert.equal(httpCalls.length, 1, 'subscriptions never go over HTTP');
});
