import type { EventStore, EventSubscription, RecordedEvent } from '@wfnet/domain';
import { CASE_STREAM_PREFIX } from '@wfnet/domain';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** The types of the events that give the dispatcher work: a queue hands out these alone. */
export const WORK_EVENT_TYPES: readonly string[] = ['WorkitemCreated', 'TimerFired'];

/** An event handed to this process by its queue, until the process says what became of it. */
export interface WorkDelivery {
  readonly event: RecordedEvent;
  /** How many times the event was handed out before: to a process that died, stopped or took too long. */
  readonly retryCount: number;
  /** The work is done: the event is not handed out again. */
  ack(): Promise<void>;
  /** Gives the event back: `retry` hands it out again at once, `park` sets it aside for an operator. */
  nack(action: 'retry' | 'park', reason: string): Promise<void>;
}

/**
 * The work handed to this process as one member of a consumer group: each event of `WORK_EVENT_TYPES` goes
 * to one member, and one its member does not ack in time, or whose member leaves or loses its connection
 * first, goes to another.
 */
export interface WorkQueue {
  /** For logs: the group and where it lives. */
  readonly description: string;
  /** Joins the group: `deliver` takes one delivery at a time, the next waiting until it returns. */
  join(deliver: (delivery: WorkDelivery) => Promise<void>): Promise<void>;
  /** Leaves the group: what this member has not acked is handed to the others. */
  leave(): Promise<void>;
}

export interface ConsumerGroupOptions {
  /** How long a member has to ack an event before it is handed to another. */
  readonly messageTimeoutMs: number;
  /** How many times an event is handed out again before it is parked; never when absent. */
  readonly maxRetryCount?: number;
}

/** One handing out of an event to a member of a `MemoryConsumerGroup`. */
export interface HandOut {
  readonly event: RecordedEvent;
  readonly retryCount: number;
  readonly member: MemoryWorkQueue;
  timeout: NodeJS.Timeout | undefined;
}

/**
 * A consumer group kept in this process, for tests of several dispatchers on one memory store: it follows
 * the store's case streams from the start, and hands each event of a work type to one member in turn, as
 * EventStoreDB's persistent subscriptions do with the round-robin strategy. An event not acked within the
 * timeout, nacked with `retry`, or held by a member that leaves, is handed out again, to another member
 * when there is one. `member(name)` is a process's connection to the group.
 */
export class MemoryConsumerGroup {
  /** Events parked: by a member's nack, or handed out more often than `maxRetryCount`. */
  readonly parked: RecordedEvent[] = [];
  private readonly connected: MemoryWorkQueue[] = [];
  /** The current handing out of each event not acked yet, by event id. */
  private readonly outstanding = new Map<string, HandOut>();
  /** Events waiting for a member to connect, with how often they were handed out. */
  private readonly waiting: { readonly event: RecordedEvent; readonly retryCount: number }[] = [];
  private nextMember = 0;
  private subscription: EventSubscription | undefined;
  private following: Promise<void> | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly options: ConsumerGroupOptions,
  ) {}

  member(name: string): MemoryWorkQueue {
    return new MemoryWorkQueue(this, name);
  }

  /** Events handed out and not acked yet. */
  get unacked(): number {
    return this.outstanding.size;
  }

  /** Stops following the store and every hand-out timeout. */
  async close(): Promise<void> {
    for (const handOut of this.outstanding.values()) clearTimeout(handOut.timeout);
    await this.subscription?.close();
    await this.following;
  }

  /** @internal */
  connect(member: MemoryWorkQueue): void {
    this.connected.push(member);
    this.following ??= this.follow();
    for (const { event, retryCount } of this.waiting.splice(0)) this.handOut(event, retryCount);
  }

  /** @internal What the member held and had not acked goes to the others, as when its connection drops. */
  disconnect(member: MemoryWorkQueue): void {
    const index = this.connected.indexOf(member);
    if (index >= 0) this.connected.splice(index, 1);
    for (const handOut of [...this.outstanding.values()]) {
      if (handOut.member === member) this.handOutAgain(handOut);
    }
  }

  /** @internal */
  isCurrent(handOut: HandOut): boolean {
    return this.outstanding.get(handOut.event.id) === handOut;
  }

  /** @internal */
  ack(handOut: HandOut): void {
    if (!this.isCurrent(handOut)) return;
    clearTimeout(handOut.timeout);
    this.outstanding.delete(handOut.event.id);
  }

  /** @internal */
  nack(handOut: HandOut, action: 'retry' | 'park'): void {
    if (!this.isCurrent(handOut)) return;
    if (action === 'retry') {
      this.handOutAgain(handOut);
      return;
    }
    clearTimeout(handOut.timeout);
    this.outstanding.delete(handOut.event.id);
    this.parked.push(handOut.event);
  }

  private async follow(): Promise<void> {
    this.subscription = this.store.subscribe({ streamPrefixes: [CASE_STREAM_PREFIX] });
    for await (const event of this.subscription) {
      if (WORK_EVENT_TYPES.includes(event.type)) this.handOut(event, 0);
    }
  }

  private handOutAgain(handOut: HandOut): void {
    clearTimeout(handOut.timeout);
    this.outstanding.delete(handOut.event.id);
    const retryCount = handOut.retryCount + 1;
    if (retryCount > (this.options.maxRetryCount ?? Infinity)) {
      this.parked.push(handOut.event);
      return;
    }
    this.handOut(handOut.event, retryCount, handOut.member);
  }

  /** To the next member in turn, passing over `previous` (which had it last) while another is connected. */
  private handOut(event: RecordedEvent, retryCount: number, previous?: MemoryWorkQueue): void {
    const candidates = this.connected.filter((member) => member !== previous);
    const pool = candidates.length > 0 ? candidates : this.connected;
    if (pool.length === 0) {
      this.waiting.push({ event, retryCount });
      return;
    }
    const member = pool[this.nextMember++ % pool.length] as MemoryWorkQueue;
    const handOut: HandOut = { event, retryCount, member, timeout: undefined };
    handOut.timeout = setTimeout(() => {
      if (this.isCurrent(handOut)) this.handOutAgain(handOut);
    }, this.options.messageTimeoutMs);
    this.outstanding.set(event.id, handOut);
    member.receive(handOut);
  }
}

/** A process's connection to a `MemoryConsumerGroup`. */
export class MemoryWorkQueue implements WorkQueue {
  private deliver: ((delivery: WorkDelivery) => Promise<void>) | undefined;
  private readonly inbox: HandOut[] = [];
  private pumping = false;

  constructor(
    private readonly group: MemoryConsumerGroup,
    readonly name: string,
  ) {}

  get description(): string {
    return `memory consumer group, member ${this.name}`;
  }

  join(deliver: (delivery: WorkDelivery) => Promise<void>): Promise<void> {
    this.deliver = deliver;
    this.group.connect(this);
    return Promise.resolve();
  }

  /** Also what a test calls to cut a process off abruptly: the group hands its work to the others. */
  leave(): Promise<void> {
    this.deliver = undefined;
    this.inbox.length = 0;
    this.group.disconnect(this);
    return Promise.resolve();
  }

  /** @internal */
  receive(handOut: HandOut): void {
    this.inbox.push(handOut);
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let handOut = this.inbox.shift(); handOut; handOut = this.inbox.shift()) {
        // Each delivery in a turn of its own, as from a socket: an event given back to its only member
        // comes back after the rest of the process has had its turn.
        await nextTurn();
        const deliver = this.deliver;
        if (deliver === undefined) break;
        if (this.group.isCurrent(handOut)) await deliver(this.delivery(handOut));
      }
    } finally {
      this.pumping = false;
    }
  }

  private delivery(handOut: HandOut): WorkDelivery {
    const answer = (settle: () => void): Promise<void> => {
      // As on a server: an answer on a connection that was closed does not arrive.
      if (this.deliver === undefined || handOut.member !== this) {
        return Promise.reject(new Error(`member ${this.name} is no longer connected to the group`));
      }
      settle();
      return Promise.resolve();
    };
    return {
      event: handOut.event,
      retryCount: handOut.retryCount,
      ack: () => answer(() => this.group.ack(handOut)),
      nack: (action) => answer(() => this.group.nack(handOut, action)),
    };
  }
}
