// A front-end's view of the gateway: Apollo Client (core, no React) with a
// normalized InMemoryCache runs a typical contacts screen, pages it with
// fetchMore and renames a contact, and the cache keeps everything consistent
// without refetching.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client/core';

import { recordingFetch, resultWhere } from '../lib/apollo.mjs';
import { graphql, queryURL } from '../lib/gateway.mjs';

const PAGE_SIZE = 25;
const PAGES = 3;
const VARIABLES = { first: PAGE_SIZE, orderBy: { field: 'ID', direction: 'ASC' } };

const CONTACTS_SCREEN = gql`
  query ContactsScreen($first: Int!, $after: String, $orderBy: ContactOrder) {
    contacts(first: $first, after: $after, orderBy: $orderBy) {
      nodes {
        id
        name
        phones
        tags { id name }
        companies { id name }
        leads { id name }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

const RENAME_CONTACT = gql`
  mutation RenameContact($input: UpdateContactInput!) {
    updateContact(input: $input) {
      contact { id name }
      userErrors { message code field }
    }
  }
`;

// Field policy for a Relay connection read through nodes and/or edges. The
// list is stored once per combination of the given arguments (everything
// but `after`); a page fetched with `after` is appended to what is stored,
// a page without it replaces it. Nothing is deduplicated here, so duplicates
// the server sends stay visible to the test.
function connectionPolicy(keyArgs) {
  return {
    keyArgs,
    merge(existing, incoming, { args }) {
      if (!existing || !args?.after) return incoming;
      const merged = { ...incoming };
      for (const list of ['nodes', 'edges']) {
        if (incoming[list]) merged[list] = [...(existing[list] ?? []), ...incoming[list]];
      }
      if (incoming.pageInfo) {
        merged.pageInfo = { ...incoming.pageInfo };
        for (const first of ['startCursor', 'hasPreviousPage']) {
          if (existing.pageInfo && first in existing.pageInfo) merged.pageInfo[first] = existing.pageInfo[first];
        }
      }
      return merged;
    },
  };
}

// The same pages, fetched by plain HTTP following endCursor: the reference.
async function fetchPagesDirectly(pages) {
  const ids = [];
  let after = null;
  for (let i = 0; i < pages; i++) {
    const { contacts } = await graphql(
      `query($first: Int!, $after: String, $orderBy: ContactOrder) {
        contacts(first: $first, after: $after, orderBy: $orderBy) {
          nodes { id } pageInfo { hasNextPage endCursor }
        }
      }`,
      { ...VARIABLES, after },
    );
    ids.push(...contacts.nodes.map((n) => n.id));
    assert.ok(contacts.pageInfo.hasNextPage, `page ${i + 1} has a next page`);
    after = contacts.pageInfo.endCursor;
  }
  return ids;
}

test('Apollo Client pages, normalizes and updates contacts from the cache', async (t) => {
  const operations = [];
  const client = new ApolloClient({
    link: new HttpLink({ uri: queryURL(), fetch: recordingFetch(operations) }),
    cache: new InMemoryCache({
      typePolicies: {
        Query: { fields: { contacts: connectionPolicy(['first', 'query', 'filter', 'orderBy']) } },
      },
    }),
  });
  t.after(() => client.stop());

  const screen = client.watchQuery({ query: CONTACTS_SCREEN, variables: VARIABLES });
  const keepAlive = screen.subscribe(() => {});
  t.after(() => keepAlive.unsubscribe());

  await t.test('the first page loads', async () => {
    const { data } = await resultWhere(screen, (r) => !r.loading);
    assert.equal(data.contacts.nodes.length, PAGE_SIZE);
    assert.equal(data.contacts.pageInfo.hasNextPage, true);
    assert.ok(data.contacts.pageInfo.endCursor);
  });

  await t.test(`fetchMore pages by endCursor up to ${PAGES} pages, in order, without duplicates`, async () => {
    for (let page = 2; page <= PAGES; page++) {
      const before = screen.getCurrentResult().data.contacts;
      const more = await screen.fetchMore({ variables: { after: before.pageInfo.endCursor } });
      assert.equal(more.data.contacts.nodes.length, PAGE_SIZE, `page ${page} is full`);
      const { data } = await resultWhere(screen, (r) => r.data.contacts.nodes.length === page * PAGE_SIZE);
      assert.equal(data.contacts.pageInfo.endCursor, more.data.contacts.pageInfo.endCursor);
    }
    assert.deepEqual(operations, Array(PAGES).fill('ContactsScreen'), 'one request per page');

    const ids = screen.getCurrentResult().data.contacts.nodes.map((n) => n.id);
    assert.equal(ids.length, PAGES * PAGE_SIZE);
    assert.equal(new Set(ids).size, ids.length, 'no contact appears twice');
    const ascending = ids.every((id, i) => i === 0 || BigInt(ids[i - 1]) < BigInt(id));
    assert.ok(ascending, `orderBy ID ASC holds across pages: ${ids.join(',')}`);
    assert.deepEqual(ids, await fetchPagesDirectly(PAGES), 'same contacts, same order as plain HTTP paging');
  });

  await t.test('the cache normalizes by __typename:id and stores a shared company once', () => {
    const store = client.cache.extract();
    const listKeys = Object.keys(store.ROOT_QUERY).filter((k) => k.startsWith('contacts'));
    assert.equal(listKeys.length, 1, `one stored list for all pages: ${listKeys.join(' | ')}`);
    assert.ok(!listKeys[0].includes('after'), `the list is not keyed by after: ${listKeys[0]}`);
    const list = store.ROOT_QUERY[listKeys[0]];
    assert.equal(list.nodes.length, PAGES * PAGE_SIZE);

    const contactsOfCompany = new Map();
    for (const ref of list.nodes) {
      assert.match(ref.__ref, /^Contact:\d+$/, 'list entries are references');
      const contact = store[ref.__ref];
      assert.ok(contact, `${ref.__ref} is stored`);
      assert.equal(`Contact:${contact.id}`, ref.__ref);
      assert.equal(typeof contact.name, 'string');
      for (const company of contact.companies) {
        assert.deepEqual(Object.keys(company), ['__ref'], `companies of ${ref.__ref} are references`);
        assert.match(company.__ref, /^Company:\d+$/);
        const holders = contactsOfCompany.get(company.__ref) ?? [];
        contactsOfCompany.set(company.__ref, [...holders, contact.id]);
      }
      for (const lead of contact.leads) assert.match(lead.__ref, /^Lead:\d+$/);
      for (const tag of contact.tags) assert.match(tag.__ref, /^Tag:\d+$/);
    }

    const storedCompanies = Object.keys(store).filter((k) => k.startsWith('Company:'));
    assert.deepEqual(storedCompanies.sort(), [...contactsOfCompany.keys()].sort(), 'one entry per company');
    for (const key of storedCompanies) {
      assert.equal(typeof store[key].name, 'string', `${key} has its name`);
    }
    const shared = [...contactsOfCompany].filter(([, holders]) => holders.length > 1);
    assert.ok(shared.length > 0, 'some company is shared by several loaded contacts (demo data)');
    const [companyKey, holders] = shared[0];
    t.diagnostic(`${companyKey} (${store[companyKey].name}) is stored once for contacts ${holders.join(', ')}`);
  });

  await t.test('renaming a contact updates the cached contact and list without a refetch', async (t) => {
    const nodes = screen.getCurrentResult().data.contacts.nodes;
    const target = nodes[PAGE_SIZE + 3]; // on the second page
    const newName = `${target.name} (e2e ${process.pid})`;
    t.after(() =>
      graphql(
        'mutation($input: UpdateContactInput!) { updateContact(input: $input) { userErrors { message } } }',
        { input: { id: target.id, name: target.name } },
      ),
    );

    const sent = operations.length;
    const { data } = await client.mutate({
      mutation: RENAME_CONTACT,
      variables: { input: { id: target.id, name: newName } },
    });
    assert.deepEqual(data.updateContact.userErrors, []);
    assert.equal(data.updateContact.contact.name, newName);

    assert.equal(client.cache.extract()[`Contact:${target.id}`].name, newName, 'cached Contact');
    const fromCache = client.readQuery({ query: CONTACTS_SCREEN, variables: VARIABLES });
    assert.equal(fromCache.contacts.nodes.length, PAGES * PAGE_SIZE);
    assert.equal(fromCache.contacts.nodes.find((n) => n.id === target.id).name, newName, 'list read from cache');
    const watched = await resultWhere(
      screen,
      (r) => r.data.contacts.nodes.find((n) => n.id === target.id)?.name === newName,
    );
    assert.equal(watched.data.contacts.nodes.length, PAGES * PAGE_SIZE, 'the watched screen keeps all pages');
    assert.deepEqual(operations.slice(sent), ['RenameContact'], 'only the mutation went to the gateway');

    const { contact } = await graphql('query($id: ID!) { contact(id: $id) { name } }', { id: target.id });
    assert.equal(contact.name, newName, 'the gateway stored the new name');
  });
});
