// Stand-in for the bare `graphql-ws` import inside @graphiql/toolkit.
//
// The toolkit imports graphql-ws lazily, only for its own subscriptionUrl and
// wsClient options. The playground routes subscriptions itself (see
// subscriptions.mjs) with the client from `graphql-ws/client`, so the
// toolkit's import is never reached; resolving it to the package would bundle
// graphql-ws's server half too (about 18 KiB minified). If it is ever reached,
// the toolkit reports its own "install graphql-ws" error.
export {};
