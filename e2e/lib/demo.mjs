// Facts of the embedded sandbox's demo account that the CRM tests assert:
// see internal/sandbox (demo.go, demo_docs.go, demo_activity.go, pipelines.go).
import assert from 'node:assert/strict';

import { graphql } from './gateway.mjs';

/** The main pipeline, where leads land when a write names none. */
export const MAIN = '5000001';
/** The repeat-sales pipeline. */
export const REPEAT = '5000002';
/** The partners pipeline: no demo leads, only those tests create. */
export const PARTNERS = '5000003';
/** The won stage, which every pipeline has (as it has 143, lost). */
export const WON = '142';

/** The pipelines with their stages' ids in amoCRM's order. */
export const PIPELINES = [
  {
    id: MAIN,
    name: 'Основная воронка',
    isMain: true,
    stages: ['5100001', '5100002', '5100003', '5100004', WON, '143'],
  },
  { id: REPEAT, name: 'Повторные продажи', isMain: false, stages: ['5200001', '5200002', WON, '143'] },
  { id: PARTNERS, name: 'Партнёры', isMain: false, stages: ['5300001', '5300002', '5300003', WON, '143'] },
];

/** The administrator: responsible for the documentation's examples and for what writes leave unassigned. */
export const ADMIN = { id: '504141', name: 'Администратор', email: 'admin@sandbox.example' };
/** Every user's id, in the users list's order. */
export const USER_IDS = ['47272', '504141', '504142', '504143', '504144', '504145', '504146'];

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
const MSK = 3 * HOUR; // the demo account's time zone, UTC+3

/** The pipeline holding stage stageId as pipelineId's, or undefined. */
export function stageOf(pipelineId, stageId) {
  const pipeline = PIPELINES.find((p) => p.id === pipelineId);
  return pipeline?.stages.includes(stageId) ? pipeline : undefined;
}

/**
 * The account's day the sandbox started in, {start, end} in ms: demo task
 * 60000001 is due at its 23:59:59, Moscow time, and the other demo due dates
 * count from it.
 */
export async function demoToday() {
  const { tasks } = await graphql('{ tasks(filter: {ids: [60000001]}) { nodes { completeTill } } }');
  const end = Date.parse(tasks.nodes[0].completeTill);
  assert.match(new Date(end + MSK).toISOString(), /T23:59:59\.000Z$/, 'task 60000001 is due at 23:59:59 MSK');
  return { start: end - DAY + 1000, end };
}
