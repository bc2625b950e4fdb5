import { afterAll, describe, expect, it } from '@jest/globals';
import { exampleNets, joinTypes, splitTypes } from '@wfnet/domain';
import { denseNet } from '@wfnet/domain/testing';
import type {
  CaseData,
  JoinType,
  Route,
  SplitType,
  Task,
  Timer,
  Token,
  WorkflowDefinition,
} from '@wfnet/domain';
import { caseOverlay, layoutByDepth, layoutNet, netSvg } from './diagram.js';
import type { NetLayout } from './diagram.js';
import { stopLayoutThread } from './layout-worker.js';

afterAll(() => stopLayoutThread());

const approval = (name = 'Approval'): WorkflowDefinition => ({ ...exampleNets.approvalNet(), name });

const token = (
  id: string,
  placeId: string,
  state: Token['state'],
  consumedByTaskId: string | null = null,
): Token => ({
  id,
  placeId,
  state,
  payload: null,
  producedByTaskId: 'genesis',
  lockedByTaskId: state === 'locked' ? 't' : null,
  consumedByTaskId,
});

const task = (id: string, transitionId: string, state: Task['state']): Task => ({
  id,
  transitionId,
  state,
  offered: [],
  locked: [],
  workitemIds: [],
  tokenPayload: null,
  abandonReason: null,
});

const caseWith = (tokens: Token[], tasks: Task[], live: [string, string][] = []): CaseData => ({
  status: 'active',
  caseId: 'c1',
  workflowId: 'approval',
  definition: approval(),
  data: {},
  tokens: new Map(tokens.map((t) => [t.id, t])),
  tasks: new Map(tasks.map((t) => [t.id, t])),
  workitems: new Map(),
  incidents: new Map(),
  timers: new Map(),
  attempts: new Map(),
  completedBy: new Map(),
  liveTaskOf: new Map(live),
  counts: { tokens: tokens.length, tasks: tasks.length, workitems: 0, incidents: 0, timers: 0 },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('the layout of a net', () => {
  it('places every node and routes every arc, left to right', async () => {
    const layout = await layoutNet(approval());
    expect([...layout.places.keys()]).toEqual(['start', 'submitted', 'end']);
    expect([...layout.transitions.keys()]).toEqual(['submit', 'approve', 'reject']);
    expect(layout.arcs).toHaveLength(6);
    for (const arc of layout.arcs) expect(arc.points.length).toBeGreaterThanOrEqual(2);
    expect(layout.places.get('start')!.x).toBeLessThan(layout.places.get('end')!.x);
  });

  it('runs top to bottom when asked', async () => {
    const layout = await layoutNet(approval(), 'down');
    expect(layout.places.get('start')!.y).toBeLessThan(layout.places.get('end')!.y);
    expect(layout.height).toBeGreaterThan(layout.width);
  });

  it('ends arcs on the rim of a place, not on its bounding box', async () => {
    const layout = await layoutNet(approval());
    const into = layout.arcs.find((arc) => arc.to === 'submitted')!;
    const box = layout.places.get('submitted')!;
    const end = into.points.at(-1)!;
    const distance = Math.hypot(end.x - (box.x + box.width / 2), end.y - (box.y + box.height / 2));
    expect(distance).toBeCloseTo(box.width / 2, 1);
  });

  it('is computed once per net structure, whatever its name, metadata or params', async () => {
    const first = layoutNet(approval('One'));
    expect(layoutNet(approval('Two'))).toBe(first);
    expect(layoutNet({ ...approval(), metadata: { owner: 'x' } })).toBe(first);
    const renamed = approval();
    const longer = {
      ...renamed,
      transitions: renamed.transitions.map((t) =>
        t.id === 'approve' ? { ...t, name: 'Approve the request' } : t,
      ),
    };
    expect(layoutNet(longer)).not.toBe(first);
    expect(layoutNet(approval(), 'down')).not.toBe(first);
    await first;
  });
});

/** Every node has a box inside the picture, and every arc a line of at least two points. */
function expectComplete(definition: WorkflowDefinition, layout: NetLayout): void {
  expect(new Set(layout.places.keys())).toEqual(new Set(definition.places.map((place) => place.id)));
  expect(new Set(layout.transitions.keys())).toEqual(new Set(definition.transitions.map((t) => t.id)));
  for (const box of [...layout.places.values(), ...layout.transitions.values()]) {
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(layout.width);
    expect(box.y + box.height).toBeLessThanOrEqual(layout.height);
  }
  expect(layout.arcs).toHaveLength(definition.arcs.length);
  for (const arc of layout.arcs) expect(arc.points.length).toBeGreaterThanOrEqual(2);
}

describe('a net ELK cannot lay out within its limits', () => {
  it('is laid out by depth from start once the time runs out, and the next net is laid out by ELK at once', async () => {
    const net = denseNet();
    expect(net.arcs).toHaveLength(9_942);
    const asked = Date.now();
    const layout = await layoutNet(net, 'right', { timeoutMs: 300, maxHeapMb: 512 });
    expect(Date.now() - asked).toBeLessThan(3_000);
    expect(layout.method).toBe('by-depth');
    expectComplete(net, layout);
    expect(layout.places.get('p0')!.x).toBeLessThan(layout.transitions.get('t0')!.x);
    expect(netSvg(net, layout)).toContain('data-layout="by-depth"');

    const next = Date.now();
    const small = await layoutNet(approval('After the dense net'), 'right', {
      timeoutMs: 5_000,
      maxHeapMb: 512,
    });
    expect(small.method).toBe('elk');
    expect(Date.now() - next).toBeLessThan(3_000);
  }, 10_000);

  it('is laid out by depth when ELK runs out of memory, top to bottom when asked', async () => {
    const net = { ...denseNet(), id: 'dense-down' };
    const layout = await layoutNet(net, 'down', { timeoutMs: 60_000, maxHeapMb: 16 });
    expect(layout.method).toBe('by-depth');
    expectComplete(net, layout);
    expect(layout.places.get('p0')!.y).toBeLessThan(layout.transitions.get('t0')!.y);
  }, 20_000);

  it('still draws a small net with ELK', async () => {
    const layout = await layoutNet(approval('Small'));
    expect(layout.method).toBe('elk');
    expect(netSvg(approval('Small'), layout)).not.toContain('data-layout');
  });
});

describe('the join and split kinds of a transition', () => {
  /** `start → t → end`, `t` of the given kinds. */
  const oneStep = (joinType: JoinType, splitType: SplitType): WorkflowDefinition => ({
    id: `one-step-${joinType}-${splitType}`,
    name: 'One step',
    places: [
      { id: 'start', type: 'start' },
      { id: 'end', type: 'end' },
    ],
    transitions: [{ id: 't', executor: 'auto', executorParams: {}, joinType, splitType }],
    arcs: [
      { from: 'start', to: 't' },
      { from: 't', to: 'end' },
    ],
    metadata: {},
  });

  /** join, split, the kinds in the title, the marker strips drawn (class and symbol), the extra width. */
  const rows: [JoinType, SplitType, string, [string, string][], number][] = [
    ['none', 'none', 'single input, single output', [], 0],
    ['and', 'none', 'and-join, single output', [['and-join', '∧']], 14],
    ['none', 'and', 'single input, and-split', [['and-split', '∧']], 14],
    [
      'and',
      'and',
      'and-join, and-split',
      [
        ['and-join', '∧'],
        ['and-split', '∧'],
      ],
      28,
    ],
    ['or', 'none', 'or-join, single output', [['or-join', '∨']], 14],
    ['none', 'xor', 'single input, xor-split', [['xor-split', '×']], 14],
    ['none', 'or', 'single input, or-split', [['or-split', '∨']], 14],
    [
      'or',
      'xor',
      'or-join, xor-split',
      [
        ['or-join', '∨'],
        ['xor-split', '×'],
      ],
      28,
    ],
  ];

  it('each have rows below', () => {
    expect(new Set(rows.map(([join]) => join))).toEqual(new Set(joinTypes));
    expect(new Set(rows.map(([, split]) => split))).toEqual(new Set(splitTypes));
  });

  it.each(rows)(
    'draws a %s join and a %s split as "%s", with markers %j, %i wider',
    async (joinType, splitType, title, markers, extraWidth) => {
      const definition = oneStep(joinType, splitType);
      const layout = await layoutNet(definition);
      const plain = await layoutNet(oneStep('none', 'none'));
      expect(layout.transitions.get('t')!.width - plain.transitions.get('t')!.width).toBe(extraWidth);
      const svg = netSvg(definition, layout);
      expect(svg).toContain(`data-join="${joinType}" data-split="${splitType}"`);
      expect(svg).toContain(`<title>transition t (auto; ${title})</title>`);
      expect(svg.match(/<g class="[a-z]+-(join|split)"><rect class="marker"[^>]*>/g) ?? []).toHaveLength(
        markers.length,
      );
      for (const [marker, symbol] of markers) {
        expect(svg).toMatch(
          new RegExp(`<g class="${marker}"><rect class="marker"[^>]*/><text [^>]*>${symbol}</text></g>`),
        );
      }
    },
  );
});

describe('the tokens and tasks of a case', () => {
  it('counts free, locked and finished tokens per place, leaving consumed ones out', () => {
    const overlay = caseOverlay(
      caseWith(
        [
          token('a', 'start', 'consumed', 'submit-task'),
          token('b', 'submitted', 'free'),
          token('c', 'submitted', 'locked'),
          token('d', 'end', 'consumed', 'termination'),
        ],
        [],
      ),
      7n,
    );
    expect(overlay.revision).toBe(7n);
    expect(overlay.tokens.get('start')).toBeUndefined();
    expect(overlay.tokens.get('submitted')).toEqual({ free: 1, locked: 1, done: 0 });
    expect(overlay.tokens.get('end')).toEqual({ free: 0, locked: 0, done: 1 });
  });

  it('colours a transition by its live task, else by its latest one, and counts completions', () => {
    const overlay = caseOverlay(
      caseWith(
        [],
        [
          task('t1', 'approve', 'completed'),
          task('t2', 'approve', 'completed'),
          task('t3', 'approve', 'executing'),
          task('t4', 'reject', 'completed'),
          task('t5', 'reject', 'abandoned'),
        ],
        [['approve', 't3']],
      ),
      1n,
    );
    expect(overlay.tasks.get('approve')).toEqual({ state: 'executing', live: true, completed: 2 });
    expect(overlay.tasks.get('reject')).toEqual({ state: 'abandoned', live: false, completed: 1 });
    expect(overlay.tasks.get('submit')).toBeUndefined();
  });
});

const timer = (
  id: string,
  kind: Timer['kind'],
  dueAt: string,
  taskId: string | null,
  workitemId: string | null = taskId === null ? null : `${taskId}-w`,
): Timer => ({ id, kind, dueAt, taskId, workitemId });

const withTimers = (state: CaseData, timers: Timer[]): CaseData => ({
  ...state,
  timers: new Map(timers.map((t) => [t.id, t])),
  counts: { ...state.counts, timers: timers.length },
});

describe('the pending timers of a case', () => {
  const state = withTimers(
    caseWith(
      [token('b', 'submitted', 'free')],
      [task('t1', 'approve', 'allocated'), task('t2', 'reject', 'allocated')],
      [
        ['approve', 't1'],
        ['reject', 't2'],
      ],
    ),
    [
      timer('c1:timer-3', 'scheduleToClose', '2026-01-04T00:00:00.000Z', 't1'),
      timer('c1:timer-2', 'executor', '2026-01-03T00:00:00.000Z', 't1'),
      timer('c1:timer-1', 'case', '2026-01-31T00:00:00.000Z', null),
    ],
  );

  it("puts each timer on its task's transition, earliest first, and the case's own apart", () => {
    const overlay = caseOverlay(state, 5n);
    expect(overlay.timers.get('approve')?.map((t) => [t.kind, t.dueAt])).toEqual([
      ['executor', '2026-01-03T00:00:00.000Z'],
      ['scheduleToClose', '2026-01-04T00:00:00.000Z'],
    ]);
    expect(overlay.timers.has('reject')).toBe(false);
    expect(overlay.caseTimeoutAt).toBe('2026-01-31T00:00:00.000Z');
  });

  it('draws a clock on a transition that owns a pending timer, its due times in its title', async () => {
    const svg = netSvg(state.definition, await layoutNet(state.definition), caseOverlay(state, 5n));
    const clocks = svg.match(/<g class="timer"[^>]*>/g) ?? [];
    expect(clocks).toHaveLength(1);
    expect(clocks[0]).toContain('data-timer-transition="approve"');
    expect(clocks[0]).toContain('data-timer-due="2026-01-03T00:00:00.000Z"');
    expect(svg).toContain(
      '<title>2 pending timers: timer due 2026-01-03T00:00:00.000Z; schedule-to-close timeout due 2026-01-04T00:00:00.000Z</title>',
    );
    expect(svg).toContain('data-case-timeout="2026-01-31T00:00:00.000Z"');
    expect(svg).toContain('times out at 2026-01-31T00:00:00.000Z');
    expect(svg).toMatch(/<g class="clock-key">.*?<text class="key" x="17" y="0">pending timer<\/text>/);
  });

  it('draws no clock once the timers are gone, nor on the picture of the net alone', async () => {
    const layout = await layoutNet(state.definition);
    const none = withTimers(state, []);
    for (const svg of [
      netSvg(state.definition, layout, caseOverlay(none, 6n)),
      netSvg(state.definition, layout),
    ]) {
      expect(svg).not.toContain('class="timer"');
      expect(svg).not.toContain('data-case-timeout');
    }
  });
});

describe('the SVG', () => {
  it('escapes names, so a net cannot put markup into the picture', async () => {
    const definition = approval('<script>alert("x")</script> & co');
    const svg = netSvg(definition, await layoutNet(definition));
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co');
  });

  it('draws tokens with their state and the task states of a case', async () => {
    const state = caseWith(
      [token('b', 'submitted', 'free'), token('c', 'submitted', 'locked')],
      [task('t1', 'approve', 'allocated')],
      [['approve', 't1']],
    );
    const svg = netSvg(state.definition, await layoutNet(state.definition), caseOverlay(state, 12n));
    expect(svg).toContain('data-case="c1" data-case-state="active" data-revision="12"');
    expect(svg).toMatch(
      /data-place="submitted" data-place-type="normal" data-free="1" data-locked="1" data-done="0"/,
    );
    expect(svg).toMatch(/data-transition="approve"[^>]*data-task-state="allocated" data-live="true"/);
    expect(svg).toMatch(/data-transition="reject"[^>]*data-task-state="none"/);
    expect(svg.match(/data-token-state="free"/g)).toHaveLength(1);
    expect(svg.match(/data-token-state="locked"/g)).toHaveLength(1);
  });

  it('tells many tokens in one place as counts', async () => {
    const state = caseWith(
      ['a', 'b', 'c', 'd', 'e'].map((id) => token(id, 'submitted', id === 'e' ? 'locked' : 'free')),
      [],
    );
    const svg = netSvg(state.definition, await layoutNet(state.definition), caseOverlay(state, 3n));
    expect(svg).toContain('4● 1○');
    expect(svg).not.toContain('data-token-state="free"');
  });
});

describe('the decisions of a net', () => {
  const loan = exampleNets.loanApprovalNet;
  const decisionOf = (svg: string, from: string, to: string): string => {
    const group = new RegExp(
      `<g class="decision[^"]*"[^>]*>(?:(?!</g>).)*data-arc="${from}->${to}"(?:(?!</g>).)*</g>`,
      's',
    );
    const found = group.exec(svg);
    if (!found) throw new Error(`no decision arc ${from} -> ${to} in the picture`);
    return found[0];
  };

  it("writes each condition on its arc, with the whole condition in the arc's title", async () => {
    const svg = netSvg(loan(), await layoutNet(loan()));
    const toBoard = decisionOf(svg, 'register', 'to-board');
    expect(toBoard).toMatch(/^<g class="decision conditional" data-decision="conditional">/);
    expect(toBoard).toContain('<title>condition: case.amount &gt; 10000</title>');
    expect(toBoard).toMatch(/<text class="condition" [^>]*>case\.amount &gt; 10000<\/text>/);
    expect(decisionOf(svg, 'plan-checks', 'fraud')).toMatch(/>case\.foreignApplicant =…<\/text>/);
    expect(decisionOf(svg, 'plan-checks', 'fraud')).toContain(
      '<title>condition: case.foreignApplicant == true</title>',
    );
    expect(svg.match(/<g class="decision conditional"/g)).toHaveLength(3);
    expect(svg.match(/<path class="arc"/g)).toHaveLength(loan().arcs.length);
  });

  it('cuts a long condition to 24 characters on one line, ending in an ellipsis', async () => {
    const condition = 'case.applicant.country != "DE" &&\n  case.amount > 1000';
    const definition: WorkflowDefinition = {
      ...loan(),
      arcs: loan().arcs.map((arc) => (arc.to === 'kyc' ? { ...arc, condition } : arc)),
    };
    const svg = netSvg(definition, await layoutNet(definition));
    const kyc = decisionOf(svg, 'plan-checks', 'kyc');
    const label = /<text class="condition" [^>]*>([^<]*)<\/text>/.exec(kyc)![1]!;
    expect(label).toBe('case.applicant.country…');
    expect(label.length).toBeLessThanOrEqual(24);
    expect(kyc).toContain(
      '<title>condition: case.applicant.country != &quot;DE&quot; &amp;&amp;\n  case.amount &gt; 1000</title>',
    );
  });

  it('marks each default arc with a slash across its start and the word default', async () => {
    const svg = netSvg(loan(), await layoutNet(loan()));
    for (const [from, to] of [
      ['register', 'to-clerk'],
      ['plan-checks', 'basic'],
    ] as const) {
      const arc = decisionOf(svg, from, to);
      expect(arc).toMatch(/^<g class="decision default" data-decision="default">/);
      expect(arc).toContain('<title>default: taken when no condition holds</title>');
      expect(arc).toMatch(/<path class="default-mark" d="M[\d.-]+,[\d.-]+ L[\d.-]+,[\d.-]+"\/>/);
      expect(arc).toMatch(/>default<\/text>/);
    }
    expect(svg.match(/class="default-mark"/g)).toHaveLength(2);
    expect(decisionOf(svg, 'register', 'to-board')).not.toContain('default-mark');
  });

  it('leaves room for the labels of decision arcs only, in both layouts', async () => {
    const elk = await layoutNet(loan());
    const byDepth = layoutByDepth(loan(), 'right');
    for (const layout of [elk, byDepth]) {
      const labelled = layout.arcs.filter((arc) => arc.label !== undefined).map((a) => `${a.from}->${a.to}`);
      expect(labelled.sort()).toEqual(
        [
          'plan-checks->basic',
          'plan-checks->fraud',
          'plan-checks->kyc',
          'register->to-board',
          'register->to-clerk',
        ].sort(),
      );
      for (const arc of layout.arcs.filter((a) => a.label)) expect(arc.label!.width).toBeGreaterThan(20);
    }
    const boxes = [...elk.places.values(), ...elk.transitions.values()];
    for (const arc of elk.arcs) {
      const label = arc.label;
      if (!label) continue;
      const overlaps = boxes.filter(
        (box) =>
          label.x < box.x + box.width &&
          box.x < label.x + label.width &&
          label.y < box.y + box.height &&
          box.y < label.y + label.height,
      );
      expect(overlaps).toEqual([]);
    }
  });

  it('lays a net out anew when a condition changes what its arc shows', async () => {
    const first = layoutNet(loan());
    const other = {
      ...loan(),
      arcs: loan().arcs.map((arc) =>
        arc.to === 'to-board' ? { ...arc, condition: 'case.amount >= 50000' } : arc,
      ),
    };
    expect(layoutNet(other)).not.toBe(first);
    expect(layoutNet({ ...loan(), name: 'Renamed' })).toBe(first);
    await first;
  });

  it("draws the arcs of each decision's last route on a case as taken", async () => {
    const state: CaseData = { ...caseWith([token('b', 'checked', 'free')], []), definition: loan() };
    const routes = new Map<string, Route>([
      ['register', { placeIds: ['to-board'], by: 'condition' }],
      ['plan-checks', { placeIds: ['kyc', 'fraud'], by: 'condition' }],
    ]);
    const svg = netSvg(loan(), await layoutNet(loan()), caseOverlay(state, 9n, routes));
    const taken = (from: string, to: string): boolean => {
      const arc = decisionOf(svg, from, to);
      const data = /data-taken="(true|false)"/.exec(arc)?.[1];
      expect(arc.includes(' taken"')).toBe(data === 'true');
      expect(arc.includes('url(#wfnet-arrow-taken)')).toBe(data === 'true');
      return data === 'true';
    };
    expect(taken('register', 'to-board')).toBe(true);
    expect(taken('register', 'to-clerk')).toBe(false);
    expect(taken('plan-checks', 'kyc')).toBe(true);
    expect(taken('plan-checks', 'fraud')).toBe(true);
    expect(taken('plan-checks', 'basic')).toBe(false);
    expect(decisionOf(svg, 'register', 'to-board')).toContain(
      '<title>condition: case.amount &gt; 10000; taken by the last completion of register (by condition)</title>',
    );
    expect(svg.match(/url\(#wfnet-arrow-taken\)/g)).toHaveLength(3);
    expect(svg).toContain('<marker id="wfnet-arrow-taken"');
  });

  it('draws no route where a decision has not been taken, nor on the picture of the net alone', async () => {
    const state: CaseData = { ...caseWith([], []), definition: loan() };
    const onCase = netSvg(loan(), await layoutNet(loan()), caseOverlay(state, 1n));
    expect(onCase).not.toContain('data-taken');
    expect(onCase).not.toContain('wfnet-arrow-taken)');
    const alone = netSvg(loan(), await layoutNet(loan()));
    expect(alone).not.toContain('wfnet-arrow-taken');
  });

  it("never draws an or split's hidden control place, nor the tokens a case keeps there", async () => {
    const control = 'plan-checks#checks-done';
    const state: CaseData = {
      ...caseWith([token('k', 'kyc', 'free'), token('c', control, 'free')], []),
      definition: loan(),
    };
    const overlay = caseOverlay(state, 4n);
    expect([...overlay.tokens.keys()]).toEqual(['kyc']);
    const withControl: WorkflowDefinition = {
      ...loan(),
      places: [...loan().places, { id: control, type: 'normal' }],
      arcs: [...loan().arcs, { from: 'plan-checks', to: control }, { from: control, to: 'checks-done' }],
    };
    for (const layout of [await layoutNet(withControl), layoutByDepth(withControl, 'down')]) {
      expect([...layout.places.keys()]).not.toContain(control);
      expect(layout.arcs.some((arc) => arc.from === control || arc.to === control)).toBe(false);
      const svg = netSvg(withControl, layout, overlay);
      expect(svg).not.toContain('#checks-done');
      expect(svg.match(/data-place="/g)).toHaveLength(loan().places.length);
      expect(svg.match(/<path class="arc"/g)).toHaveLength(loan().arcs.length);
    }
  });
});
