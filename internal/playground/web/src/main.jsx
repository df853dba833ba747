// Entry point of the amogql playground bundle.
//
// The gateway renders index.html itself (see ../../playground.go) and passes
// its settings as data attributes on the mount element, so this bundle stays
// byte-for-byte identical for every endpoint and can be cached forever.
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { createClient } from 'graphql-ws/client';

import { createPlaygroundFetcher, subscriptionURL } from './subscriptions.mjs';
import 'graphiql/style.css';
import './playground.css';

const mount = document.getElementById('graphiql');
const settings = mount.dataset;
// A relative path keeps requests on the origin that served the page.
const endpoint = settings.endpoint || '/query';

const fetcher = createPlaygroundFetcher({
  httpFetcher: createGraphiQLFetcher({ url: endpoint }),
  // Subscriptions use the same endpoint over a WebSocket on the page's own
  // scheme and host, whichever name the browser reached the gateway by.
  wsURL: subscriptionURL(endpoint, window.location.href),
  createClient,
});

// shouldPersistHeaders is off so that credentials typed into the headers
// tab stay in memory and never reach the browser's local storage.
createRoot(mount).render(
  <GraphiQL
    fetcher={fetcher}
    defaultQuery={settings.defaultQuery ?? ''}
    shouldPersistHeaders={false}
  >
    <GraphiQL.Logo>amogql</GraphiQL.Logo>
  </GraphiQL>,
);
