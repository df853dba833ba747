// A CRM front-end's writes beyond contacts: a lead moved on a board watched
// through Apollo Client, whose normalized cache shows the move without a
// refetch; createLeads, updateLeads, createLeadsComplex, createCompanies,
// addNotes, createTasks and updateTasks, each read back; and bad input,
// answered with coded errors and userErrors with the field's path. It writes
// only leads, companies, contacts, notes and tasks of its own, named after
// the run, so reruns against one gateway and other files never meet them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gql } from '@apollo/client/core';

import { crmClient, graphQLErrors, resultWhere, withoutTypename } from '../lib/apollo.mjs';
import { ADMIN, DAY, MAIN, PARTNERS, REPEAT, WON } from '../lib/demo.mjs';
import { graphql } from '../lib/gateway.mjs';

const tag = `e2e-crm-${process.pid}`;

const PARTNERS_BOARD = gql`
  query PartnersBoard {
    leads(first: 250, filter: {pipelineIds: [5000003]}, orderBy: {field: ID, direction: ASC}) {
      nodes { id name price status { id pipelineId name color } pipeline { id name } }
    }
  }
`;

const MOVE_LEAD = gql`
  mutation MoveLead($input: [UpdateLeadInput!]!) {
    updateLeads(input: $input) {
      leads { id name status { id pipelineId name color } }
      userErrors { message code field }
    }
  }
`;

test('a lead moved and renamed with updateLeads changes on the watched board from the cache', async (t) => {
  const { createLeads } = await graphql(
    `mutation($name: String!) {
      createLeads(input: [{name: $name, price: 7000, pipelineId: 5000003, statusId: 5300001}]) {
        leads { id } userErrors { message code field }
      }
    }`,
    { name: `${tag} board lead` },
  );
  assert.deepEqual(createLeads.userErrors, []);
  const { id } = createLeads.leads[0];

  const operations = [];
  const client = crmClient(t, operations);
  const board = client.watchQuery({ query: PARTNERS_BOARD });
  const keepAlive = board.subscribe(() => {});
  t.after(() => keepAlive.unsubscribe());
  const { data } = await resultWhere(board, (r) => !r.loading);
  const before = data.leads.nodes.find((l) => l.id === id);
  assert.deepEqual(withoutTypename(before), {
    id,
    name: `${tag} board lead`,
    price: 7000,
    status: { id: '5300001', pipelineId: PARTNERS, name: 'Заявка партнёра', color: '#f9deff' },
    pipeline: { id: PARTNERS, name: 'Партнёры' },
  });

  const renamed = `${tag} board lead, checked`;
  const sent = operations.length;
  const moved = await client.mutate({
    mutation: MOVE_LEAD,
    variables: { input: [{ id, statusId: '5300002', name: renamed }] },
  });
  assert.deepEqual(moved.data.updateLeads.userErrors, []);
  assert.equal(moved.data.updateLeads.leads[0].status.name, 'Проверка');

  const store = client.cache.extract();
  assert.equal(store[`Lead:${id}`].name, renamed, 'the cached lead has its new name');
  assert.deepEqual(store[`Lead:${id}`].status, { __ref: `PipelineStatus:${PARTNERS}:5300002` }, 'and its new stage');
  const shown = await resultWhere(board, (r) => r.data.leads.nodes.find((l) => l.id === id)?.name === renamed);
  const after = shown.data.leads.nodes.find((l) => l.id === id);
  const checking = { id: '5300002', pipelineId: PARTNERS, name: 'Проверка', color: '#fffeb2' };
  assert.deepEqual(withoutTypename(after.status), checking);
  assert.equal(after.price, 7000, 'what the mutation did not select stays');
  assert.deepEqual(operations.slice(sent), ['MoveLead'], 'only the mutation went to the gateway');

  const { lead } = await graphql('query($id: ID!) { lead(id: $id) { name status { id } pipeline { id } } }', { id });
  const stored = { name: renamed, status: { id: '5300002' }, pipeline: { id: PARTNERS } };
  assert.deepEqual(lead, stored, 'the gateway stored it');
});

test('writes of leads, companies, notes and tasks, each read back', async (t) => {
  const LEAD_FIELDS =
    'id name price closedAt pipeline { id name } status { id name } responsibleUser { id name } tags { id name }';
  const leadsById = async (ids) => {
    const { leads } = await graphql(
      `query($ids: [ID!]) {
        leads(filter: {ids: $ids}, orderBy: {field: ID, direction: ASC}) { nodes { ${LEAD_FIELDS} } }
      }`,
      { ids },
    );
    return leads.nodes;
  };
  const PAYLOAD = `leads { ${LEAD_FIELDS} } userErrors { message code field }`;
  let created;

  await t.test("createLeads puts each lead in the stage it names, or the main pipeline's first", async () => {
    const { createLeads } = await graphql(
      `mutation($input: [CreateLeadInput!]!) { createLeads(input: $input) { ${PAYLOAD} } }`,
      {
        input: [
          { name: `${tag} invoiced`, price: 15000, statusId: '5200002' },
          { name: `${tag} plain` },
          {
            name: `${tag} partner`,
            pipelineId: PARTNERS,
            statusId: '5300003',
            responsibleUserId: '504142',
            tagsToAdd: [{ name: 'Срочно' }],
          },
        ],
      },
    );
    assert.deepEqual(createLeads.userErrors, []);
    created = createLeads.leads;
    const admin = { id: ADMIN.id, name: ADMIN.name };
    assert.deepEqual(
      created.map(({ id, ...rest }) => rest),
      [
        {
          name: `${tag} invoiced`,
          price: 15000,
          closedAt: null,
          pipeline: { id: REPEAT, name: 'Повторные продажи' },
          status: { id: '5200002', name: 'Выставлен счёт' },
          responsibleUser: admin,
          tags: [],
        },
        {
          name: `${tag} plain`,
          price: 0,
          closedAt: null,
          pipeline: { id: MAIN, name: 'Основная воронка' },
          status: { id: '5100001', name: 'Первичный контакт' },
          responsibleUser: admin,
          tags: [],
        },
        {
          name: `${tag} partner`,
          price: 0,
          closedAt: null,
          pipeline: { id: PARTNERS, name: 'Партнёры' },
          status: { id: '5300003', name: 'Договор подписан' },
          responsibleUser: { id: '504142', name: 'Елена Соколова' },
          tags: [{ id: '246003', name: 'Срочно' }],
        },
      ],
    );
    assert.deepEqual(await leadsById(created.map((l) => l.id)), created, 'a read shows them as the payload did');
  });

  await t.test('updateLeads moves one lead to another stage and closes another as won', async () => {
    const [invoiced, plain] = created;
    const start = Date.now();
    const { updateLeads } = await graphql(
      `mutation($input: [UpdateLeadInput!]!) { updateLeads(input: $input) { ${PAYLOAD} } }`,
      { input: [{ id: plain.id, statusId: '5100003' }, { id: invoiced.id, statusId: WON, price: 16000 }] },
    );
    assert.deepEqual(updateLeads.userErrors, []);
    const [moved, won] = updateLeads.leads;
    assert.deepEqual(
      [moved.id, moved.status, moved.pipeline.id, moved.closedAt],
      [plain.id, { id: '5100003', name: 'Принимают решение' }, MAIN, null],
    );
    assert.deepEqual(
      [won.id, won.status, won.pipeline.id, won.price],
      [invoiced.id, { id: WON, name: 'Успешно реализовано' }, REPEAT, 16000],
    );
    assert.ok(Date.parse(won.closedAt) >= start - 5_000, `closedAt is set at the move: ${won.closedAt}`);

    const { leads } = await graphql(
      `query($ids: [ID!]) {
        leads(filter: {ids: $ids, statuses: [{pipelineId: 5000001, statusId: 5100003}]}) { nodes { id } }
      }`,
      { ids: [plain.id, invoiced.id] },
    );
    assert.deepEqual(leads.nodes, [{ id: plain.id }], 'the stage filter finds the moved lead, not the won one');
    const byId = [moved, won].sort((a, b) => Number(a.id) - Number(b.id));
    assert.deepEqual(await leadsById([plain.id, invoiced.id]), byId, 'a read shows them as the payload did');
  });

  await t.test('createLeadsComplex creates a lead with its contact and company, linked', async () => {
    const { createLeadsComplex } = await graphql(
      `mutation($input: [CreateLeadComplexInput!]!) {
        createLeadsComplex(input: $input) {
          leads { id name price contacts { id name } companies { id name } }
          userErrors { message code field }
        }
      }`,
      {
        input: [
          {
            lead: { name: `${tag} complex`, price: 50000 },
            contact: { name: `${tag} contact` },
            company: { name: `${tag} company` },
          },
        ],
      },
    );
    assert.deepEqual(createLeadsComplex.userErrors, []);
    const [lead] = createLeadsComplex.leads;
    assert.equal(lead.name, `${tag} complex`);
    assert.equal(lead.price, 50000);
    assert.deepEqual(lead.contacts.map((c) => c.name), [`${tag} contact`]);
    assert.deepEqual(lead.companies.map((c) => c.name), [`${tag} company`]);

    const read = await graphql(
      `query($contact: ID!, $company: ID!) {
        contact(id: $contact) { name leads { id } companies { id } }
        company(id: $company) { name contacts { id } leads { id } }
      }`,
      { contact: lead.contacts[0].id, company: lead.companies[0].id },
    );
    const [contact, company] = [lead.contacts[0], lead.companies[0]];
    assert.deepEqual(read.contact, { name: contact.name, leads: [{ id: lead.id }], companies: [{ id: company.id }] });
    assert.deepEqual(read.company, { name: company.name, contacts: [{ id: contact.id }], leads: [{ id: lead.id }] });
  });

  await t.test('createCompanies, then the companies list finds it by name', async () => {
    const name = `${tag} ООО «Тест»`;
    const { createCompanies } = await graphql(
      `mutation($name: String!) {
        createCompanies(input: [{name: $name, responsibleUserId: 504143}]) {
          companies { id name responsibleUser { id name } } userErrors { message code field }
        }
      }`,
      { name },
    );
    assert.deepEqual(createCompanies.userErrors, []);
    const [company] = createCompanies.companies;
    assert.deepEqual(company.responsibleUser, { id: '504143', name: 'Дмитрий Волков' });
    const { companies } = await graphql(
      'query($name: String!) { companies(filter: {names: [$name]}) { nodes { id name responsibleUser { id } } } }',
      { name },
    );
    assert.deepEqual(companies.nodes, [{ id: company.id, name, responsibleUser: { id: '504143' } }]);
  });

  await t.test('addNotes to a lead shows first in its notes', async () => {
    const lead = created[2];
    const { addNotes } = await graphql(
      `mutation($input: [AddNoteInput!]!) {
        addNotes(entity: LEADS, input: $input) {
          notes { id entityId noteType text params requestId } userErrors { code message field }
        }
      }`,
      { input: [{ entityId: lead.id, text: `${tag}: договор у юристов`, requestId: 'note' }] },
    );
    assert.deepEqual(addNotes.userErrors, []);
    const [{ id, ...note }] = addNotes.notes;
    const text = `${tag}: договор у юристов`;
    assert.deepEqual(note, { entityId: lead.id, noteType: 'common', text, params: { text }, requestId: 'note' });
    const read = await graphql(
      'query($id: ID!) { lead(id: $id) { notes(first: 5) { nodes { id noteType text } } } }',
      { id: lead.id },
    );
    assert.deepEqual(read.lead.notes.nodes, [{ id, noteType: 'common', text }]);
  });

  await t.test('createTasks, then updateTasks completes it with a result', async () => {
    const lead = created[2];
    const due = new Date(Date.now() + DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const [text, result] = [`${tag}: созвон`, 'Договорились о поставке'];
    const { createTasks } = await graphql(
      `mutation($input: [CreateTaskInput!]!) {
        createTasks(input: $input) {
          tasks {
            id text entityType entityId isCompleted result completeTill taskTypeId requestId responsibleUser { id }
          }
          userErrors { code message field }
        }
      }`,
      {
        input: [{ text, completeTill: due, entityType: 'LEADS', entityId: lead.id, taskTypeId: '2', requestId: 'call' }],
      },
    );
    assert.deepEqual(createTasks.userErrors, []);
    const [{ id, ...task }] = createTasks.tasks;
    assert.deepEqual(
      task,
      {
        text,
        entityType: 'LEADS',
        entityId: lead.id,
        isCompleted: false,
        result: null,
        completeTill: due,
        taskTypeId: '2',
        requestId: 'call',
        responsibleUser: { id: ADMIN.id },
      },
    );

    const { updateTasks } = await graphql(
      `mutation($input: [UpdateTaskInput!]!) {
        updateTasks(input: $input) { tasks { id isCompleted result } userErrors { code message field } }
      }`,
      { input: [{ id, isCompleted: true, result }] },
    );
    assert.deepEqual(updateTasks, { tasks: [{ id, isCompleted: true, result }], userErrors: [] });

    const read = await graphql(
      `query($id: ID!, $task: ID!) {
        lead(id: $id) { done: tasks(isCompleted: true) { id result } open: tasks(isCompleted: false) { id } }
        tasks(filter: {ids: [$task]}) { nodes { id text isCompleted result } }
        completed: tasks(first: 250, filter: {isCompleted: true, entityType: LEADS, entityIds: [$id]}) { nodes { id } }
      }`,
      { id: lead.id, task: id },
    );
    assert.deepEqual(read.lead, { done: [{ id, result }], open: [] });
    assert.deepEqual(read.tasks.nodes, [{ id, text, isCompleted: true, result }]);
    assert.deepEqual(read.completed.nodes, [{ id }]);
  });
});

test('bad input: coded GraphQL errors, and userErrors with the path of the field', async (t) => {
  const client = crmClient(t);

  await t.test('first or last out of range, last without before, a foreign cursor: BAD_USER_INPUT', async () => {
    const { data } = await client.query({
      query: gql`query ContactsCursor { contacts(first: 2) { pageInfo { endCursor } } }`,
    });
    const foreign = data.contacts.pageInfo.endCursor;
    const cases = [
      ['leads', gql`query TooMany { leads(first: 1000) { nodes { id } } }`, {}],
      ['tasks', gql`query TooManyTasks { tasks(first: 1000) { nodes { id } } }`, {}],
      ['users', gql`query TooManyUsers { users(last: 251, first: 5) { nodes { id } } }`, {}],
      ['tags', gql`query TooManyTags { tags(entity: LEADS, first: 251) { nodes { id } } }`, {}],
      ['leads', gql`query LastAlone { leads(last: 5) { nodes { id } } }`, {}],
      [
        'leads',
        gql`query ForeignCursor($after: String) { leads(first: 2, after: $after) { nodes { id } } }`,
        { after: foreign },
      ],
    ];
    for (const [field, query, variables] of cases) {
      const errors = await graphQLErrors(client.query({ query, variables }));
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.equal(errors[0].extensions?.code, 'BAD_USER_INPUT', JSON.stringify(errors));
      assert.deepEqual(errors[0].path, [field]);
    }
  });

  await t.test('amoCRM refuses an item: its code and field path, and nothing of the batch is written', async () => {
    const ok = `${tag} refused batch`;
    const { data } = await client.mutate({
      mutation: gql`
        mutation RefusedLeads($input: [CreateLeadInput!]!) {
          createLeads(input: $input) { leads { id } userErrors { message code field index requestId upstreamPath } }
        }
      `,
      variables: {
        input: [{ name: ok }, { name: `${tag} bad`, customFieldsValues: [{ fieldId: '1', values: [{ value: 'x' }] }] }],
      },
    });
    assert.deepEqual(data.createLeads.leads, []);
    assert.deepEqual(withoutTypename(data.createLeads.userErrors), [
      {
        message: 'The value you selected is not a valid choice.',
        code: 'NotSupportedChoice',
        field: ['input', '1', 'customFieldsValues', '0', 'fieldId'],
        index: 1,
        requestId: '1',
        upstreamPath: 'custom_fields_values.0.field_id',
      },
    ]);
    const { leads } = await graphql(
      'query($name: String!) { leads(filter: {names: [$name]}) { nodes { id } } }',
      { name: ok },
    );
    assert.deepEqual(leads.nodes, [], 'the valid item was not written either');
  });

  await t.test('unknown ids and an empty batch', async () => {
    const { data } = await client.mutate({
      mutation: gql`
        mutation Unknown {
          updateLeads(input: [{id: 999999999, name: "x"}]) { leads { id } userErrors { code field index } }
          updateTasks(input: [{id: 99999999, isCompleted: true}]) { tasks { id } userErrors { code field index } }
          createTasks(input: []) { tasks { id } userErrors { code field } }
        }
      `,
    });
    assert.deepEqual(withoutTypename(data), {
      updateLeads: { leads: [], userErrors: [{ code: 'NotFound', field: ['input', '0', 'id'], index: 0 }] },
      updateTasks: { tasks: [], userErrors: [{ code: 'NotFound', field: ['input', '0', 'id'], index: 0 }] },
      createTasks: { tasks: [], userErrors: [{ code: 'BAD_USER_INPUT', field: ['input'] }] },
    });
  });
});
