// Subscriptions for the playground: GraphiQL sends queries and mutations over
// HTTP and hands subscription operations to a graphql-ws client, which speaks
// the graphql-transport-ws protocol to the same GraphQL endpoint over a
// WebSocket.
//
// Kept free of React and the DOM (the page's location is passed in) so that
// test/subscriptions.test.mjs can run it under Node.
import { getOperationAST } from 'graphql';

// The gateway reads its API key from the connection_init payload under these
// names, since a browser cannot set headers on a WebSocket handshake.
const credentialHeaders = ['X-API-Key', 'Authorization'];

// subscriptionURL returns the WebSocket URL of a GraphQL endpoint: endpoint
// (relative or absolute) resolved against the page's URL, with http(s)
// swapped for ws(s), so a page served over TLS also subscribes over TLS.
export function subscriptionURL(endpoint, pageURL) {
  const url = new URL(endpoint, pageURL);
  if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol === 'http:') url.protocol = 'ws:';
  url.hash = '';
  return url.href;
}

// connectionParams picks the credentials out of the headers typed in
// GraphiQL's headers editor, matching names case-insensitively as HTTP does,
// and returns them under the names the gateway expects; undefined when there
// are none. Other headers stay out: they mean nothing to connection_init.
export function connectionParams(headers) {
  if (headers == null || typeof headers !== 'object') return undefined;
  let params;
  for (const [name, value] of Object.entries(headers)) {
    const want = credentialHeaders.find((h) => h.toLowerCase() === name.toLowerCase());
    if (want === undefined || value == null || value === '') continue;
    params ??= {};
    params[want] = String(value);
  }
  return params;
}

// isSubscription reports whether the operation GraphiQL is about to run is a
// subscription. operationName may be empty for a document of one operation.
export function isSubscription(documentAST, operationName) {
  if (!documentAST) return false;
  return getOperationAST(documentAST, operationName || undefined)?.operation === 'subscription';
}

// describeClose turns the CloseEvent a failed or dropped WebSocket ends with
// into a GraphQL-style error, { message }, that says what happened: GraphiQL
// would print a CloseEvent as an empty object, and an Error with its stack
// trace. Anything else (GraphQL errors from the server) passes through.
export function describeClose(event, url) {
  if (event == null || typeof event !== 'object' || !('code' in event)) return event;
  const reason = event.reason ? `: ${event.reason}` : '';
  switch (event.code) {
    case 4403:
      return {
        message:
          `The gateway refused the subscription's credentials (WebSocket closed with 4403${reason}). ` +
          'Put the API key in the Headers tab as {"X-API-Key": "…"} (or "Authorization") and run again.',
      };
    case 1006:
      return {
        message:
          `Could not keep a WebSocket open to ${url} (code 1006, closed without a close frame). ` +
          'Is the gateway running, and does it serve subscriptions at this address?',
      };
    default:
      return { message: `The subscription's WebSocket to ${url} closed with code ${event.code}${reason}.` };
  }
}

// createPlaygroundFetcher returns a GraphiQL fetcher: subscriptions go to a
// graphql-ws client for wsURL, everything else to httpFetcher.
//
// One client is kept per distinct credential, so every subscription run with
// the same headers shares one socket (the client opens it on the first
// subscription and closes it after the last, being lazy), while a change of
// API key in the headers tab gets a connection that authenticates with it.
// createClient is graphql-ws's, passed in so tests can substitute it.
export function createPlaygroundFetcher({ httpFetcher, wsURL, createClient }) {
  const clients = new Map();
  const clientFor = (params) => {
    const key = JSON.stringify(params ?? null);
    let client = clients.get(key);
    if (!client) {
      client = createClient({
        url: wsURL,
        connectionParams: params,
        // A person is waiting at the run button: show a failure at once
        // instead of retrying behind a spinner for half a minute.
        retryAttempts: 0,
        // A server that takes the socket but never acknowledges it would
        // otherwise leave the subscription spinning forever.
        connectionAckWaitTimeout: 10_000,
      });
      clients.set(key, client);
    }
    return client;
  };

  return (graphQLParams, opts) => {
    if (!isSubscription(opts?.documentAST, graphQLParams.operationName)) {
      return httpFetcher(graphQLParams, opts);
    }
    const client = clientFor(connectionParams(opts?.headers));
    // An Observable: GraphiQL shows each next() as the current result and
    // calls unsubscribe() from its stop button, which sends complete.
    return {
      subscribe(observer) {
        const dispose = client.subscribe(graphQLParams, {
          next: (result) => observer.next?.(result),
          error: (err) => observer.error?.(describeClose(err, wsURL)),
          complete: () => observer.complete?.(),
        });
        return { unsubscribe: dispose };
      },
    };
  };
}
