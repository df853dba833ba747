// What the Apollo Client tests share: a client for the CRM screens, a fetch
// that logs what reaches the gateway, a wait for a watched query's result,
// and the GraphQL errors an operation failed with.
import assert from 'node:assert/strict';
import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache } from '@apollo/client/core';

import { queryURL } from './gateway.mjs';

/** fetch that pushes the operationName of every request Apollo sends onto log. */
export function recordingFetch(log) {
  return (url, init) => {
    log.push(JSON.parse(init.body).operationName);
    return fetch(url, init);
  };
}

/** Resolves with the first result of `observable` that satisfies `predicate`. */
export function resultWhere(observable, predicate, timeoutMs = 5_000) {
  return new Promise((resolve, reject) => {
    let subscription;
    const timer = setTimeout(() => {
      subscription?.unsubscribe();
      reject(new Error(`no matching result within ${timeoutMs} ms`));
    }, timeoutMs);
    subscription = observable.subscribe({
      next(result) {
        if (result.error) reject(result.error);
        else if (result.data && predicate(result)) {
          clearTimeout(timer);
          queueMicrotask(() => subscription.unsubscribe());
          resolve(result);
        }
      },
      error(err) {
        clearTimeout(timer);
        reject(err);
      },
    });
  });
}

/**
 * keyFields of PipelineStatus: a stage is named by its pipeline and its id,
 * since every pipeline has the stages 142 (won) and 143 (lost). Apollo's
 * default key, PipelineStatus:142, would make one cache entry of the won
 * stages of all pipelines. A selection without pipelineId is left
 * unnormalized (stored inside its parent) rather than keyed wrongly.
 */
export function pipelineStageKey(stage) {
  return stage.pipelineId != null && stage.id != null ? `PipelineStatus:${stage.pipelineId}:${stage.id}` : undefined;
}

/** A result without the __typename fields Apollo adds, for deepEqual. */
export function withoutTypename(value) {
  return JSON.parse(JSON.stringify(value, (key, v) => (key === '__typename' ? undefined : v)));
}

/**
 * An Apollo Client of the gateway with a normalized cache that keys stages
 * by pipeline (pipelineStageKey), logging operation names onto operations;
 * stopped after test t.
 */
export function crmClient(t, operations = []) {
  const client = new ApolloClient({
    link: new HttpLink({ uri: queryURL(), fetch: recordingFetch(operations) }),
    cache: new InMemoryCache({ typePolicies: { PipelineStatus: { keyFields: pipelineStageKey } } }),
  });
  t.after(() => client.stop());
  return client;
}

/** The GraphQL errors an Apollo operation's promise rejected with; fails when it resolved. */
export async function graphQLErrors(promise) {
  const err = await promise.then(
    (result) => assert.fail(`expected GraphQL errors, got ${JSON.stringify(result.data)}`),
    (e) => e,
  );
  assert.ok(CombinedGraphQLErrors.is(err), `a CombinedGraphQLErrors, got ${err}`);
  return err.errors;
}
