// Stand-in for the optional graphql-ws package.
//
// @graphiql/toolkit imports graphql-ws lazily, only when a subscriptionUrl is
// configured. The playground configures none, so the real client would be dead
// weight in the bundle; this empty module lets esbuild resolve the import, and
// the toolkit reports its own "install graphql-ws" error if it is ever reached.
export {};
