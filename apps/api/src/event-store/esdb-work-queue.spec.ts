import { afterEach, describe, expect, it } from '@jest/globals';
import { FakeEsdbClient } from '../../../../test/fake-esdb-client.js';
import type { WorkDelivery } from '../executors/work-queue.js';
import { DISPATCH_MAX_RETRY_COUNT, EsdbWorkQueue } from './esdb-work-queue.js';

const joined: EsdbWorkQueue[] = [];
afterEach(async () => {
  await Promise.all(joined.splice(0).map((queue) => queue.leave()));
});

/** Polls until `condition` holds; fails with `what` after the deadline. */
async function until(what: string, condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A member of the group on `client`, noting its deliveries and answering each as `answer` says. */
async function member(
  client: FakeEsdbClient,
  answer: (delivery: WorkDelivery) => Promise<void> = (delivery) => delivery.ack(),
) {
  const problems: string[] = [];
  const queue = new EsdbWorkQueue(client, {
    messageTimeoutMs: 15_000,
    retryDelayMs: 10,
    log: { warn: (line) => problems.push(line), error: (line) => problems.push(line) },
  });
  const deliveries: WorkDelivery[] = [];
  await queue.join(async (delivery) => {
    deliveries.push(delivery);
    await answer(delivery);
  });
  joined.push(queue);
  return { queue, deliveries, problems };
}

const created = (client: FakeEsdbClient, caseId: string, workitemId: string) =>
  client.record(`case-${caseId}`, 0n, 'WorkitemCreated', { caseId, workitemId, executor: 'webhook' });

describe('the EventStoreDB work queue', () => {
  it('creates the group on $all for the events that create work, with the lease as message timeout, round robin, from the start', async () => {
    const client = new FakeEsdbClient();

    const { queue } = await member(client);
    await until('the group exists', () => client.groups.size === 1);

    const group = client.groups.get('wfnet-dispatch');
    expect(queue.group).toBe('wfnet-dispatch');
    expect(group?.settings).toMatchObject({
      startFrom: 'start',
      messageTimeout: 15_000,
      maxRetryCount: DISPATCH_MAX_RETRY_COUNT,
      consumerStrategyName: 'RoundRobin',
      resolveLinkTos: false,
    });
    expect(group?.options?.filter).toMatchObject({
      filterOn: 'eventType',
      regex: '^(WorkitemCreated|TimerFired)$',
    });
  });

  it('joins a group another process created, where the server answers that it exists', async () => {
    const client = new FakeEsdbClient();
    const first = await member(client);
    await until('the group exists', () => client.groups.size === 1);

    const second = await member(client);
    created(client, 'c1', 'w1');
    created(client, 'c2', 'w2');

    await until('both events are delivered', () => first.deliveries.length + second.deliveries.length === 2);
    expect(second.problems).toEqual([]);
    expect(client.groups.size).toBe(1);
  });

  it('hands over the events of case streams that create work, and acks the others itself', async () => {
    const client = new FakeEsdbClient();
    client.record('case-c1', 0n, 'CaseCreated', {});
    created(client, 'c1', 'w1');
    client.record('case-c1', 2n, 'TimerFired', {
      caseId: 'c1',
      timerId: 't1',
      kind: 'retry',
      workitemId: 'w1',
    });
    client.record('elsewhere-1', 0n, 'WorkitemCreated', {});
    const [, workitemCreated, timerFired, foreign] = client.log;

    const { deliveries } = await member(client);

    await until('the foreign event is acked', () => client.groups.get('wfnet-dispatch')?.acked.size === 3);
    expect(deliveries.map((d) => [d.event.type, d.event.streamId, d.event.position])).toEqual([
      ['WorkitemCreated', 'case-c1', workitemCreated?.position.commit],
      ['TimerFired', 'case-c1', timerFired?.position.commit],
    ]);
    expect(client.answers.map((a) => [a.action, a.eventIds])).toEqual([
      ['ack', [workitemCreated?.id]],
      ['ack', [timerFired?.id]],
      ['ack', [foreign?.id]],
    ]);
  });

  it("maps ack, nack retry and nack park to the client's calls; a retried event comes again with its count", async () => {
    const client = new FakeEsdbClient();
    created(client, 'c1', 'w1');
    created(client, 'c2', 'w2');
    created(client, 'c3', 'w3');
    const [w1, w2, w3] = client.log.map((event) => event.id);
    let retried = false;

    const { deliveries, problems } = await member(client, async (delivery) => {
      const { workitemId } = delivery.event.data as { workitemId: string };
      if (workitemId === 'w2' && !retried) {
        retried = true;
        await delivery.nack('retry', 'stopping');
      } else if (workitemId === 'w3') await delivery.nack('park', 'unreadable');
      else await delivery.ack();
    });

    await until('four deliveries', () => deliveries.length === 4);
    await until('four answers', () => client.answers.length === 4);
    expect(client.answers).toEqual([
      { group: 'wfnet-dispatch', action: 'ack', eventIds: [w1] },
      { group: 'wfnet-dispatch', action: 'retry', reason: 'stopping', eventIds: [w2] },
      { group: 'wfnet-dispatch', action: 'ack', eventIds: [w2] },
      { group: 'wfnet-dispatch', action: 'park', reason: 'unreadable', eventIds: [w3] },
    ]);
    expect(deliveries.map((d) => [d.event.id, d.retryCount])).toEqual([
      [w1, 0],
      [w2, 0],
      [w2, 1],
      [w3, 0],
    ]);
    expect(client.groups.get('wfnet-dispatch')?.parked).toEqual(new Set([w3]));
    expect(problems).toEqual([expect.stringMatching(/is parked \(unreadable\)/)]);
  });

  it('reports loudly an event the server is about to park after handing it out again and again', async () => {
    const client = new FakeEsdbClient();
    created(client, 'c1', 'w1');
    const [event] = client.log;
    const { problems } = await member(client);
    await until('the group exists', () => client.groups.size === 1);
    await until('the event is acked', () => client.answers.length === 1);
    const group = client.groups.get('wfnet-dispatch');
    group?.acked.clear();
    group?.retryCounts.set(event?.id ?? '', DISPATCH_MAX_RETRY_COUNT - 3);

    client.notify();

    await until('the event is handed out again', () => client.answers.length === 2);
    expect(problems).toEqual([
      `dispatcher: the event at position ${event?.position.commit} was handed out ${DISPATCH_MAX_RETRY_COUNT - 2} times: at ${DISPATCH_MAX_RETRY_COUNT} the server parks it, and no process runs its work until the parked messages of wfnet-dispatch are replayed`,
    ]);
  });

  it('leaves by closing its connection, so the server hands what it did not ack to another member', async () => {
    const client = new FakeEsdbClient();
    created(client, 'c1', 'w1');
    const leaving = await member(client, () => new Promise<void>(() => undefined));
    await until('the first member holds the event', () => leaving.deliveries.length === 1);
    const staying = await member(client);

    await leaving.queue.leave();

    await until('the other member gets the event', () => staying.deliveries.length === 1);
    expect(staying.deliveries[0]?.retryCount).toBe(1);
    expect(staying.deliveries[0]?.event.id).toBe(client.log[0]?.id);
  });

  it('connects again after a failure, and reports it', async () => {
    const client = new FakeEsdbClient();
    client.failure = new Error('connection refused');

    const { deliveries, problems } = await member(client);
    await until('the failure is reported', () => problems.length > 0);
    client.failure = undefined;
    created(client, 'c1', 'w1');

    await until('the event is delivered', () => deliveries.length === 1);
    expect(problems[0]).toMatch(/work queue .* failed: connection refused; connecting again/);
  });
});
