import { joinKinds, splitKinds } from '@wfnet/domain';
import type { Arc, CaseData, Marker, Route, TaskState, TimerKind, WorkflowDefinition } from '@wfnet/domain';
import type { ElkExtendedEdge, ElkNode, ElkPoint } from 'elkjs/lib/elk.bundled.js';
import { createHash } from 'node:crypto';
import { DEFAULT_LAYOUT_LIMITS, layoutOffThread } from './layout-worker.js';
import type { LayoutLimits } from './layout-worker.js';

interface Point {
  readonly x: number;
  readonly y: number;
}

interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Arcs run left to right (wide screens), or top to bottom (narrow ones). */
export type Direction = 'right' | 'down';

interface PlaceBox extends Box {
  /** Where its label's text starts (baseline), and how it is anchored there. */
  readonly label: Point & { readonly anchor: 'start' | 'middle' };
}

/**
 * Where each node and arc of a net goes; the same for every case of one definition. `elk`: ELK's
 * layered layout; `by-depth`: the plain one used when ELK ran out of time or memory.
 */
export interface NetLayout {
  readonly method: 'elk' | 'by-depth';
  readonly width: number;
  readonly height: number;
  readonly places: ReadonlyMap<string, PlaceBox>;
  readonly transitions: ReadonlyMap<string, Box>;
  readonly arcs: readonly ArcLine[];
}

export interface ArcLine {
  readonly from: string;
  readonly to: string;
  readonly points: readonly Point[];
  /** Where the arc's condition or default mark is written (its box's top left), for an arc with one. */
  readonly label?: Box;
}

/** What a case adds to the picture of its net at one revision. */
export interface CaseOverlay {
  readonly caseId: string;
  readonly status: CaseData['status'];
  readonly revision: bigint;
  readonly tokens: ReadonlyMap<string, PlaceTokens>;
  readonly tasks: ReadonlyMap<string, TransitionTasks>;
  /** The route of the last completion of each transition whose split decides, by transition id. */
  readonly routes: ReadonlyMap<string, Route>;
  /** The pending timers of each transition's live task, by transition id, earliest first. */
  readonly timers: ReadonlyMap<string, readonly PendingTimer[]>;
  /** When the case's own timer (`caseTimeout`) is due, if it has one pending. */
  readonly caseTimeoutAt: string | null;
}

export interface PendingTimer {
  readonly kind: TimerKind;
  readonly dueAt: string;
}

export interface PlaceTokens {
  readonly free: number;
  readonly locked: number;
  /** Consumed by the case itself as it finished: the token that reached the end. */
  readonly done: number;
}

export interface TransitionTasks {
  /** The state of the live task, or else of the latest task, of the transition. */
  readonly state: TaskState;
  readonly live: boolean;
  readonly completed: number;
}

const PLACE_RADIUS = 18;
const TRANSITION_HEIGHT = 46;
const FONT_SIZE = 12;
const HEADER = 30;

/** A rough width of sans-serif text: layout only needs room, not a glyph-exact fit. */
const textWidth = (text: string, size = FONT_SIZE): number => Math.ceil(text.length * size * 0.6);

const escapeXml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

const round = (n: number): number => Math.round(n * 10) / 10;

/**
 * A place no definition has and no picture shows: an or split's control place `<split>#<join>`, where
 * the case keeps the branches the split chose (`#` is outside the id pattern).
 */
const isHiddenPlace = (placeId: string): boolean => placeId.includes('#');

/** The definition without hidden places and the arcs that touch them. */
function drawable(definition: WorkflowDefinition): WorkflowDefinition {
  if (!definition.places.some((place) => isHiddenPlace(place.id))) return definition;
  return {
    ...definition,
    places: definition.places.filter((place) => !isHiddenPlace(place.id)),
    arcs: definition.arcs.filter((arc) => !isHiddenPlace(arc.from) && !isHiddenPlace(arc.to)),
  };
}

const LABEL_FONT_SIZE = 10;
/** The key is read apart from the net it explains, so it is never smaller than body text. */
const LEGEND_FONT_SIZE = 12;
/** A condition longer than this is cut short on its arc; the arc's title holds all of it. */
const CONDITION_CHARS = 24;

/** What is written on an arc: its condition (on one line, cut short), `default`, or nothing. */
function arcLabel(arc: Arc): string | undefined {
  if (arc.condition !== undefined) {
    const line = arc.condition.replace(/\s+/g, ' ').trim();
    return line.length > CONDITION_CHARS ? `${line.slice(0, CONDITION_CHARS - 1).trimEnd()}…` : line;
  }
  return arc.default ? 'default' : undefined;
}

type Transition = WorkflowDefinition['transitions'][number];

const transitionLabel = (transition: Transition): string => transition.name ?? transition.id;

const joinMarker = (transition: Transition): Marker | undefined =>
  joinKinds[transition.joinType].drawing.marker;
const splitMarker = (transition: Transition): Marker | undefined =>
  splitKinds[transition.splitType].drawing.marker;

function transitionWidth(transition: Transition): number {
  const markers = (joinMarker(transition)?.width ?? 0) + (splitMarker(transition)?.width ?? 0);
  const text = Math.max(
    textWidth(transitionLabel(transition)),
    textWidth(`${transition.executor} · abandoned`, 10),
  );
  return Math.max(96, text + 20) + markers;
}

function graphOf(definition: WorkflowDefinition, direction: Direction): ElkNode {
  const places: ElkNode[] = definition.places.map((place) => {
    const label = place.name ?? place.id;
    return {
      id: `p:${place.id}`,
      width: PLACE_RADIUS * 2,
      height: PLACE_RADIUS * 2,
      labels: [{ text: label, width: textWidth(label), height: FONT_SIZE + 2 }],
      // Below the circle when arcs run across, beside it when they run down.
      layoutOptions: {
        'elk.nodeLabels.placement':
          direction === 'right' ? 'OUTSIDE V_BOTTOM H_CENTER' : 'OUTSIDE V_CENTER H_RIGHT',
      },
    };
  });
  const transitions: ElkNode[] = definition.transitions.map((transition) => ({
    id: `t:${transition.id}`,
    width: transitionWidth(transition),
    height: TRANSITION_HEIGHT,
  }));
  const placeIds = new Set(definition.places.map((place) => place.id));
  const node = (id: string, isPlace: boolean): string => (isPlace ? `p:${id}` : `t:${id}`);
  const edges: ElkExtendedEdge[] = definition.arcs.map((arc, index) => {
    const fromPlace = placeIds.has(arc.from);
    const label = arcLabel(arc);
    return {
      id: `a${index}`,
      sources: [node(arc.from, fromPlace)],
      targets: [node(arc.to, !fromPlace)],
      ...(label !== undefined && {
        labels: [{ text: label, width: textWidth(label, LABEL_FONT_SIZE), height: LABEL_FONT_SIZE + 2 }],
      }),
    };
  });
  return {
    id: 'net',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': direction === 'right' ? 'RIGHT' : 'DOWN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.spacing.nodeNode': '28',
      'elk.layered.spacing.nodeNodeBetweenLayers': '44',
      'elk.spacing.labelNode': '4',
      'elk.padding': '[top=16,left=16,bottom=16,right=16]',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    },
    children: [...places, ...transitions],
    edges,
  };
}

const layouts = new Map<string, Promise<NetLayout>>();
const CACHED_LAYOUTS = 500;

/** The structure that decides the layout; executors' params and metadata do not move anything. */
function layoutKey(definition: WorkflowDefinition, direction: Direction): string {
  const shape = {
    places: definition.places.map((p) => [p.id, p.type, p.name ?? null]),
    transitions: definition.transitions.map((t) => [
      t.id,
      t.name ?? null,
      t.executor,
      t.joinType,
      t.splitType,
    ]),
    arcs: definition.arcs.map((a) => [a.from, a.to, arcLabel(a) ?? null]),
    direction,
  };
  return createHash('sha256').update(JSON.stringify(shape)).digest('base64url');
}

/**
 * Lays the net out with ELK's layered algorithm, left to right, or by depth when ELK goes past `limits`.
 * Layouts are cached by the net's structure, so every case of one workflow reuses its workflow's layout
 * (and a net too big for ELK costs its time once).
 */
export function layoutNet(
  definition: WorkflowDefinition,
  direction: Direction = 'right',
  limits: LayoutLimits = DEFAULT_LAYOUT_LIMITS,
): Promise<NetLayout> {
  const shown = drawable(definition);
  const key = layoutKey(shown, direction);
  const cached = layouts.get(key);
  if (cached) {
    layouts.delete(key);
    layouts.set(key, cached);
    return cached;
  }
  const layout = computeLayout(shown, direction, limits).catch(() => layoutByDepth(shown, direction));
  layouts.set(key, layout);
  layout.catch(() => layouts.delete(key));
  if (layouts.size > CACHED_LAYOUTS) layouts.delete(layouts.keys().next().value!);
  return layout;
}

async function computeLayout(
  definition: WorkflowDefinition,
  direction: Direction,
  limits: LayoutLimits,
): Promise<NetLayout> {
  const graph = await layoutOffThread(graphOf(definition, direction), limits);
  const places = new Map<string, PlaceBox>();
  const transitions = new Map<string, Box>();
  for (const child of graph.children ?? []) {
    const box = { x: child.x ?? 0, y: child.y ?? 0, width: child.width ?? 0, height: child.height ?? 0 };
    if (child.id.startsWith('p:')) {
      const label = child.labels?.[0];
      const at = { x: box.x + (label?.x ?? 0), y: box.y + (label?.y ?? box.height) };
      places.set(
        child.id.slice(2),
        direction === 'right'
          ? { ...box, label: { x: box.x + box.width / 2, y: at.y + FONT_SIZE - 1, anchor: 'middle' } }
          : { ...box, label: { x: at.x, y: at.y + FONT_SIZE - 1, anchor: 'start' } },
      );
    } else {
      transitions.set(child.id.slice(2), box);
    }
  }
  const arcs = (graph.edges ?? []).map((edge: ElkExtendedEdge, index: number): ArcLine => {
    const arc = definition.arcs[index]!;
    const section = edge.sections?.[0];
    const points: ElkPoint[] = section
      ? [section.startPoint, ...(section.bendPoints ?? []), section.endPoint]
      : [];
    const label = edge.labels?.[0];
    return {
      from: arc.from,
      to: arc.to,
      points: clipToCircles(points, places, arc),
      ...(label && {
        label: { x: label.x ?? 0, y: label.y ?? 0, width: label.width ?? 0, height: label.height ?? 0 },
      }),
    };
  });
  return { method: 'elk', width: graph.width ?? 0, height: graph.height ?? 0, places, transitions, arcs };
}

const PADDING = 16;
const NODE_SPACING = 28;
const LAYER_SPACING = 44;
const LABEL_HEIGHT = FONT_SIZE + 2;

/**
 * Nodes in layers by their distance from start along the arcs (those start cannot reach in one last
 * layer), in the net's order within a layer, and arcs as straight lines: linear in the size of the net,
 * for nets ELK cannot lay out in time.
 */
export function layoutByDepth(definition: WorkflowDefinition, direction: Direction): NetLayout {
  definition = drawable(definition);
  const across = direction === 'right';
  const nodes = [
    ...definition.places.map((place) => {
      const label = place.name ?? place.id;
      const size = PLACE_RADIUS * 2;
      // The label goes below the circle when arcs run across, beside it when they run down.
      const room = across
        ? { along: Math.max(size, textWidth(label)), beside: size + 4 + LABEL_HEIGHT }
        : { along: size, beside: size + 4 + textWidth(label) };
      return { id: place.id, isPlace: true, width: size, height: size, ...room };
    }),
    ...definition.transitions.map((transition) => {
      const width = transitionWidth(transition);
      return across
        ? {
            id: transition.id,
            isPlace: false,
            width,
            height: TRANSITION_HEIGHT,
            along: width,
            beside: TRANSITION_HEIGHT,
          }
        : {
            id: transition.id,
            isPlace: false,
            width,
            height: TRANSITION_HEIGHT,
            along: TRANSITION_HEIGHT,
            beside: width,
          };
    }),
  ];
  const depth = depthsFromStart(definition);
  const last = Math.max(0, ...depth.values()) + 1;
  const layers: (typeof nodes)[] = [];
  for (const node of nodes) (layers[depth.get(node.id) ?? last] ??= []).push(node);

  const places = new Map<string, PlaceBox>();
  const transitions = new Map<string, Box>();
  let layerStart = PADDING;
  let extent = 0;
  for (const layer of layers) {
    if (!layer) continue;
    const thickness = Math.max(...layer.map((node) => node.along));
    let offset = PADDING;
    for (const node of layer) {
      // Across: layers are columns and `along` their width; down: layers are rows.
      const along = layerStart + (thickness - (across ? node.width : node.height)) / 2;
      const box = across
        ? { x: along, y: offset, width: node.width, height: node.height }
        : { x: offset, y: along, width: node.width, height: node.height };
      if (!node.isPlace) transitions.set(node.id, box);
      else {
        places.set(
          node.id,
          across
            ? {
                ...box,
                label: {
                  x: box.x + box.width / 2,
                  y: box.y + box.height + 4 + FONT_SIZE - 1,
                  anchor: 'middle',
                },
              }
            : {
                ...box,
                label: {
                  x: box.x + box.width + 4,
                  y: box.y + box.height / 2 + FONT_SIZE / 2 - 1,
                  anchor: 'start',
                },
              },
        );
      }
      offset += node.beside + NODE_SPACING;
    }
    extent = Math.max(extent, offset - NODE_SPACING);
    layerStart += thickness + LAYER_SPACING;
  }
  const length = layerStart - LAYER_SPACING + PADDING;
  const breadth = extent + PADDING;

  const arcs = definition.arcs.map((arc): ArcLine => {
    const from = places.get(arc.from) ?? transitions.get(arc.from);
    const to = places.get(arc.to) ?? transitions.get(arc.to);
    if (!from || !to) return { from: arc.from, to: arc.to, points: [] };
    const start = centerOf(from);
    const end = centerOf(to);
    const rim = (box: Box, isPlace: boolean, towards: Point): Point =>
      isPlace ? onCircle(centerOf(box), towards) : onBox(box, towards);
    const text = arcLabel(arc);
    const middle = { x: (start.x + end.x) / 2, y: (start.y + end.y) / 2 };
    const width = text === undefined ? 0 : textWidth(text, LABEL_FONT_SIZE);
    return {
      from: arc.from,
      to: arc.to,
      points: [rim(from, places.has(arc.from), end), rim(to, places.has(arc.to), start)],
      // Above the middle of the line: the straight lines of this layout leave no room of their own.
      ...(text !== undefined && {
        label: {
          x: middle.x - width / 2,
          y: middle.y - LABEL_FONT_SIZE - 4,
          width,
          height: LABEL_FONT_SIZE + 2,
        },
      }),
    };
  });
  return {
    method: 'by-depth',
    width: across ? length : breadth,
    height: across ? breadth : length,
    places,
    transitions,
    arcs,
  };
}

/** Each node's number of arcs from start on a shortest path; nodes start cannot reach are missing. */
function depthsFromStart(definition: WorkflowDefinition): Map<string, number> {
  const next = new Map<string, string[]>();
  for (const arc of definition.arcs) {
    const targets = next.get(arc.from);
    if (targets) targets.push(arc.to);
    else next.set(arc.from, [arc.to]);
  }
  const start = definition.places.find((place) => place.type === 'start');
  const depth = new Map<string, number>();
  if (!start) return depth;
  depth.set(start.id, 0);
  const frontier = [start.id];
  for (let i = 0; i < frontier.length; i++) {
    const id = frontier[i]!;
    for (const target of next.get(id) ?? []) {
      if (depth.has(target)) continue;
      depth.set(target, depth.get(id)! + 1);
      frontier.push(target);
    }
  }
  return depth;
}

const centerOf = (box: Box): Point => ({ x: box.x + box.width / 2, y: box.y + box.height / 2 });

/** Where the line from a place's center towards `towards` leaves its circle. */
function onCircle(center: Point, towards: Point): Point {
  const dx = towards.x - center.x;
  const dy = towards.y - center.y;
  const length = Math.hypot(dx, dy);
  if (length === 0) return center;
  return { x: center.x + (dx / length) * PLACE_RADIUS, y: center.y + (dy / length) * PLACE_RADIUS };
}

/** Where the line from a box's center towards `towards` leaves the box. */
function onBox(box: Box, towards: Point): Point {
  const center = centerOf(box);
  const dx = towards.x - center.x;
  const dy = towards.y - center.y;
  const scale = Math.min(
    dx === 0 ? Infinity : box.width / 2 / Math.abs(dx),
    dy === 0 ? Infinity : box.height / 2 / Math.abs(dy),
  );
  if (!Number.isFinite(scale)) return center;
  return { x: center.x + dx * scale, y: center.y + dy * scale };
}

/** Where the segment from `outside` towards `inside` first meets the circle, if it does. */
function meetCircle(outside: Point, inside: Point, center: Point, r: number): Point {
  const dx = inside.x - outside.x;
  const dy = inside.y - outside.y;
  const fx = outside.x - center.x;
  const fy = outside.y - center.y;
  const a = dx * dx + dy * dy;
  const b = 2 * (fx * dx + fy * dy);
  const c = fx * fx + fy * fy - r * r;
  const discriminant = b * b - 4 * a * c;
  if (a === 0 || discriminant < 0) return inside;
  const t = (-b - Math.sqrt(discriminant)) / (2 * a);
  return t >= 0 && t <= 1 ? { x: outside.x + t * dx, y: outside.y + t * dy } : inside;
}

/** ELK ends arcs on a place's bounding box; pull those ends onto the circle itself. */
function clipToCircles(
  points: readonly Point[],
  places: ReadonlyMap<string, Box>,
  arc: { from: string; to: string },
): Point[] {
  if (points.length < 2) return [...points];
  const clipped = [...points];
  const from = places.get(arc.from);
  if (from) {
    // Extend the first segment into the box so the meeting point is found from outside.
    const first = clipped[0]!;
    const next = clipped[1]!;
    const inner = { x: first.x - (next.x - first.x) * 10, y: first.y - (next.y - first.y) * 10 };
    clipped[0] = meetCircle(next, inner, centerOf(from), PLACE_RADIUS);
  }
  const to = places.get(arc.to);
  if (to) {
    const last = clipped[clipped.length - 1]!;
    const previous = clipped[clipped.length - 2]!;
    const inner = { x: last.x + (last.x - previous.x) * 10, y: last.y + (last.y - previous.y) * 10 };
    clipped[clipped.length - 1] = meetCircle(previous, inner, centerOf(to), PLACE_RADIUS);
  }
  return clipped;
}

/**
 * The tokens in each place and the task of each transition, as the case stands in `state`; `routes` are
 * the last routes of its deciding transitions up to then (a state keeps no route: see `CaseHistory`).
 */
export function caseOverlay(
  state: CaseData,
  revision: bigint,
  routes: ReadonlyMap<string, Route> = new Map(),
): CaseOverlay {
  const tokens = new Map<string, { free: number; locked: number; done: number }>();
  for (const token of state.tokens.values()) {
    if (isHiddenPlace(token.placeId)) continue;
    const counts = tokens.get(token.placeId) ?? { free: 0, locked: 0, done: 0 };
    if (token.state === 'free') counts.free += 1;
    else if (token.state === 'locked') counts.locked += 1;
    else if (token.consumedByTaskId === 'termination') counts.done += 1;
    else continue;
    tokens.set(token.placeId, counts);
  }
  const tasks = new Map<string, TransitionTasks>();
  for (const task of state.tasks.values()) {
    const previous = tasks.get(task.transitionId);
    const completed = (previous?.completed ?? 0) + (task.state === 'completed' ? 1 : 0);
    tasks.set(task.transitionId, { state: task.state, live: false, completed });
  }
  for (const [transitionId, taskId] of state.liveTaskOf) {
    const task = state.tasks.get(taskId);
    const summary = tasks.get(transitionId);
    if (task && summary) tasks.set(transitionId, { ...summary, state: task.state, live: true });
  }
  const timers = new Map<string, PendingTimer[]>();
  let caseTimeoutAt: string | null = null;
  for (const { kind, dueAt, taskId } of state.timers.values()) {
    if (taskId === null) {
      if (kind === 'case') caseTimeoutAt = dueAt;
      continue;
    }
    const transitionId = state.tasks.get(taskId)?.transitionId;
    if (transitionId === undefined) continue;
    const own = timers.get(transitionId);
    if (own) own.push({ kind, dueAt });
    else timers.set(transitionId, [{ kind, dueAt }]);
  }
  // ISO 8601 times in UTC with the same precision sort as strings.
  for (const own of timers.values()) own.sort((a, b) => (a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : 0));
  return {
    caseId: state.caseId,
    status: state.status,
    revision,
    tokens,
    tasks,
    routes,
    timers,
    caseTimeoutAt,
  };
}

/** What each kind of timer waits for, in words. */
export const TIMER_TEXT: Readonly<Record<TimerKind, string>> = {
  executor: 'timer',
  scheduleToStart: 'schedule-to-start timeout',
  startToClose: 'start-to-close timeout',
  scheduleToClose: 'schedule-to-close timeout',
  case: 'case timeout',
  retry: 'next attempt',
};

const CLOCK_RADIUS = 7;

/** A clock face on the top left corner of a transition's box; its title lists the timers it stands for. */
function clockMark(transitionId: string, box: Box, timers: readonly PendingTimer[]): string {
  const first = timers[0]!;
  const x = round(box.x);
  const y = round(box.y);
  const list = timers.map((t) => `${TIMER_TEXT[t.kind]} due ${t.dueAt}`).join('; ');
  const title = timers.length === 1 ? `pending ${list}` : `${timers.length} pending timers: ${list}`;
  return (
    `<g class="timer" data-timer-transition="${escapeXml(transitionId)}" data-timer-kind="${first.kind}" data-timer-due="${escapeXml(first.dueAt)}">` +
    `<title>${escapeXml(title)}</title>` +
    `<circle class="clock" cx="${x}" cy="${y}" r="${CLOCK_RADIUS}"/>` +
    `<path class="hands" d="M${x},${round(y - 4.5)} L${x},${y} L${round(x + 3.5)},${y}"/>` +
    '</g>'
  );
}

/** The text classes of every kind's marker symbol. */
function markerClasses(): Set<string> {
  const kinds = [...Object.values(joinKinds), ...Object.values(splitKinds)];
  return new Set(kinds.flatMap(({ drawing }) => (drawing.marker ? [drawing.marker.className] : [])));
}

const STYLE = `
.net text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;fill:#212529}
.net .label{font-size:${FONT_SIZE}px}
.net .small{font-size:10px;fill:#495057}
.net .key{font-size:${LEGEND_FONT_SIZE}px;fill:#495057}
${[...markerClasses()].map((name) => `.net .${name}`).join(',')}{font-size:14px;font-weight:700}
.net .arc{fill:none;stroke:#495057;stroke-width:1.5}
.net .condition{font-size:${LABEL_FONT_SIZE}px;fill:#5f3dc4}
.net .decision.default .condition{font-style:italic;fill:#495057}
.net .default-mark{stroke:#495057;stroke-width:1.5}
.net .taken .arc{stroke:#1864ab;stroke-width:3}
.net .taken .condition{fill:#1864ab;font-weight:700}
.net .place circle.ring{fill:#fff;stroke:#343a40;stroke-width:2}
.net .place-start circle.ring{stroke:#2b8a3e;stroke-width:3}
.net .place-end circle.ring{stroke:#c92a2a;stroke-width:3}
.net .place circle.inner{fill:none;stroke:#c92a2a;stroke-width:1}
.net .transition rect.box{fill:#fff;stroke:#343a40;stroke-width:1.5}
.net .transition .marker{fill:#e9ecef;stroke:#343a40;stroke-width:1}
.net .task-started rect.box{fill:#fff3bf;stroke:#e67700;stroke-width:2}
.net .task-allocated rect.box{fill:#ffe8cc;stroke:#d9480f;stroke-width:2}
.net .task-executing rect.box{fill:#d0ebff;stroke:#1864ab;stroke-width:2.5}
.net .task-completed rect.box{fill:#ebfbee;stroke:#2b8a3e}
.net .task-abandoned rect.box{fill:#f1f3f5;stroke:#868e96;stroke-dasharray:4 3}
.net .token-free{fill:#212529}
.net .token-locked{fill:#fff;stroke:#e67700;stroke-width:2.5}
.net .token-done{fill:#2b8a3e}
.net .timer .clock,.net .clock-key .clock{fill:#fff;stroke:#e67700;stroke-width:2}
.net .timer .hands,.net .clock-key .hands{fill:none;stroke:#212529;stroke-width:1.5;stroke-linecap:round}
`;

/** Token dots inside a place: up to four drawn, more told as counts. */
function tokenMarks(center: Point, counts: PlaceTokens): string {
  const kinds = [
    ...Array<string>(counts.free).fill('free'),
    ...Array<string>(counts.locked).fill('locked'),
    ...Array<string>(counts.done).fill('done'),
  ];
  if (kinds.length === 0) return '';
  if (kinds.length > 4) {
    const parts = [
      counts.free > 0 ? `${counts.free}●` : '',
      counts.locked > 0 ? `${counts.locked}○` : '',
      counts.done > 0 ? `${counts.done}✓` : '',
    ].filter(Boolean);
    return `<text class="small" x="${round(center.x)}" y="${round(center.y + 4)}" text-anchor="middle">${parts.join(' ')}</text>`;
  }
  const offsets: readonly (readonly Point[])[] = [
    [],
    [{ x: 0, y: 0 }],
    [
      { x: -6, y: 0 },
      { x: 6, y: 0 },
    ],
    [
      { x: -6, y: 4 },
      { x: 6, y: 4 },
      { x: 0, y: -6 },
    ],
    [
      { x: -6, y: -6 },
      { x: 6, y: -6 },
      { x: -6, y: 6 },
      { x: 6, y: 6 },
    ],
  ];
  return kinds
    .map((kind, i) => {
      const offset = offsets[kinds.length]![i]!;
      return `<circle class="token token-${kind}" data-token-state="${kind}" cx="${round(center.x + offset.x)}" cy="${round(center.y + offset.y)}" r="4.5"/>`;
    })
    .join('');
}

function joinSplitTitle(transition: Transition): string {
  return `${joinKinds[transition.joinType].drawing.label}, ${splitKinds[transition.splitType].drawing.label}`;
}

const LEGEND_ITEMS: readonly (readonly [string, string])[] = [
  ['<circle class="token token-free" cx="6" cy="-4" r="4.5"/>', 'free token'],
  ['<circle class="token token-locked" cx="6" cy="-4" r="4.5"/>', 'locked'],
  ['<circle class="token token-done" cx="6" cy="-4" r="4.5"/>', 'reached end'],
  ...(['started', 'allocated', 'executing', 'completed', 'abandoned'] as const).map(
    (state) =>
      [
        `<g class="task-${state}"><rect class="box" x="0" y="-10" width="12" height="12" rx="2"/></g>`,
        state,
      ] as const,
  ),
  [
    '<g class="clock-key"><circle class="clock" cx="6" cy="-4" r="5.5"/><path class="hands" d="M6,-7.5 L6,-4 L8.5,-4"/></g>',
    'pending timer',
  ],
];

const LEGEND_ROW = 20;

/** The key to tokens and task colours, wrapped into rows that fit `width`. */
function legend(width: number): { svg: string; height: number } {
  let x = 16;
  let row = 0;
  const parts = LEGEND_ITEMS.map(([mark, text]) => {
    const itemWidth = 17 + textWidth(text, LEGEND_FONT_SIZE);
    if (x > 16 && x + itemWidth > width - 16) {
      x = 16;
      row += 1;
    }
    const part = `<g transform="translate(${x},${row * LEGEND_ROW})">${mark}<text class="key" x="17" y="0">${text}</text></g>`;
    x += itemWidth + 14;
    return part;
  });
  return {
    svg: `<g class="legend" aria-hidden="true">${parts.join('')}</g>`,
    height: (row + 1) * LEGEND_ROW + 8,
  };
}

/**
 * The net as SVG: places as circles, transitions as boxes (a join or split whose kind has a marker, such
 * as an and-split's ∧, drawn as a strip on its side), arcs as arrows. With a case overlay, tokens sit in
 * their places and each transition is coloured by its task's state. Every node carries `data-*`
 * attributes naming what it shows, for scripts and tests.
 */
export function netSvg(definition: WorkflowDefinition, layout: NetLayout, overlay?: CaseOverlay): string {
  definition = drawable(definition);
  const top = overlay ? HEADER : 0;
  const width = Math.ceil(Math.max(layout.width, overlay ? 320 : 160));
  const key = overlay ? legend(width) : undefined;
  const height = Math.ceil(layout.height + top + (key?.height ?? 0));
  const out: string[] = [];
  const title = overlay
    ? `Case ${overlay.caseId} of ${definition.name || definition.id}: ${overlay.status} at revision ${overlay.revision}`
    : `Workflow net ${definition.name || definition.id}`;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="net" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" data-workflow="${escapeXml(definition.id)}"` +
      (layout.method === 'elk' ? '' : ` data-layout="${layout.method}"`) +
      (overlay
        ? ` data-case="${escapeXml(overlay.caseId)}" data-case-state="${overlay.status}" data-revision="${overlay.revision}"` +
          (overlay.caseTimeoutAt === null ? '' : ` data-case-timeout="${escapeXml(overlay.caseTimeoutAt)}"`)
        : '') +
      '>',
    `<title>${escapeXml(title)}</title>`,
    `<style>${STYLE}</style>`,
    `<defs>${arrowMarker('wfnet-arrow', '#495057')}${overlay ? arrowMarker('wfnet-arrow-taken', '#1864ab', 5) : ''}</defs>`,
  );
  if (overlay) {
    out.push(
      `<text class="label" x="16" y="20"><tspan font-weight="600">${escapeXml(overlay.caseId)}</tspan> · ${overlay.status} · revision ${overlay.revision}` +
        (overlay.caseTimeoutAt === null ? '' : ` · times out at ${escapeXml(overlay.caseTimeoutAt)}`) +
        '</text>',
    );
  }
  out.push(`<g transform="translate(0,${top})">`);

  const arcsOf = new Map(definition.arcs.map((arc) => [`${arc.from}\n${arc.to}`, arc]));
  for (const line of layout.arcs) {
    if (line.points.length < 2) continue;
    const arc = arcsOf.get(`${line.from}\n${line.to}`);
    out.push(arc ? arcSvg(arc, line, overlay?.routes.get(arc.from)) : '');
  }

  for (const place of definition.places) {
    const box = layout.places.get(place.id);
    if (!box) continue;
    const center = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    const counts = overlay?.tokens.get(place.id) ?? { free: 0, locked: 0, done: 0 };
    const label = place.name ?? place.id;
    const tokenData = overlay
      ? ` data-free="${counts.free}" data-locked="${counts.locked}" data-done="${counts.done}"`
      : '';
    const tokenTitle = overlay
      ? `: ${counts.free} free, ${counts.locked} locked${counts.done > 0 ? `, ${counts.done} reached the end` : ''}`
      : '';
    out.push(
      `<g class="place place-${place.type}" data-place="${escapeXml(place.id)}" data-place-type="${place.type}"${tokenData}>`,
      `<title>${escapeXml(`place ${label} (${place.type})${tokenTitle}`)}</title>`,
      `<circle class="ring" cx="${round(center.x)}" cy="${round(center.y)}" r="${PLACE_RADIUS}"/>`,
      place.type === 'end'
        ? `<circle class="inner" cx="${round(center.x)}" cy="${round(center.y)}" r="${PLACE_RADIUS - 4}"/>`
        : '',
      overlay ? tokenMarks(center, counts) : '',
      `<text class="label" x="${round(box.label.x)}" y="${round(box.label.y)}" text-anchor="${box.label.anchor}">${escapeXml(label)}</text>`,
      '</g>',
    );
  }

  for (const transition of definition.transitions) {
    const box = layout.transitions.get(transition.id);
    if (!box) continue;
    const task = overlay?.tasks.get(transition.id);
    const timers = overlay?.timers.get(transition.id);
    const classes = ['transition', task ? `task-${task.state}` : '', task?.live ? 'live' : '']
      .filter(Boolean)
      .join(' ');
    const taskData = overlay
      ? ` data-task-state="${task?.state ?? 'none'}" data-live="${task?.live ?? false}" data-completed="${task?.completed ?? 0}"`
      : '';
    const joinMark = joinMarker(transition);
    const splitMark = splitMarker(transition);
    const join = joinMark?.width ?? 0;
    const split = splitMark?.width ?? 0;
    const middle = box.x + join + (box.width - join - split) / 2;
    const label = transitionLabel(transition);
    const status = task ? `${transition.executor} · ${task.state}` : transition.executor;
    const taskTitle = task
      ? `; ${task.live ? 'live task' : 'last task'} ${task.state}, ${task.completed} completed`
      : '';
    out.push(
      `<g class="${classes}" data-transition="${escapeXml(transition.id)}" data-join="${transition.joinType}" data-split="${transition.splitType}" data-executor="${escapeXml(transition.executor)}"${taskData}>`,
      `<title>${escapeXml(`transition ${label} (${transition.executor}; ${joinSplitTitle(transition)})${taskTitle}`)}</title>`,
      `<rect class="box" x="${round(box.x)}" y="${round(box.y)}" width="${round(box.width)}" height="${round(box.height)}" rx="4"/>`,
    );
    if (joinMark) out.push(sideMarker(joinMark, box.x, box.y, box.height, 'join'));
    if (splitMark) out.push(sideMarker(splitMark, box.x + box.width - split, box.y, box.height, 'split'));
    out.push(
      `<text class="label" x="${round(middle)}" y="${round(box.y + 20)}" text-anchor="middle">${escapeXml(label)}</text>`,
      `<text class="small" x="${round(middle)}" y="${round(box.y + 35)}" text-anchor="middle">${escapeXml(status)}</text>`,
      task && task.completed > 1
        ? `<text class="small" x="${round(box.x + box.width - split - 4)}" y="${round(box.y - 3)}" text-anchor="end">×${task.completed}</text>`
        : '',
      timers ? clockMark(transition.id, box, timers) : '',
      '</g>',
    );
  }
  out.push('</g>');
  if (key) out.push(`<g transform="translate(0,${Math.ceil(layout.height + top + 4)})">${key.svg}</g>`);
  out.push('</svg>');
  return out.join('');
}

/** Its size is in stroke widths: a thicker arc takes a smaller one to get the same head. */
const arrowMarker = (id: string, fill: string, size = 8): string =>
  `<marker id="${id}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="${size}" markerHeight="${size}" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${fill}"/></marker>`;

/**
 * An arc as an arrow. An output arc of a split that decides is a group with its condition written on it
 * (cut short; the group's title holds all of it) or, for the default arc, `default` and a slash across
 * its start; on a case, the arcs of the last route its transition took are drawn `taken`.
 */
function arcSvg(arc: Arc, line: ArcLine, route: Route | undefined): string {
  const d = line.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${round(p.x)},${round(p.y)}`).join(' ');
  const taken = route?.placeIds.includes(arc.to) === true;
  const path = `<path class="arc" data-arc="${escapeXml(arc.from)}->${escapeXml(arc.to)}" d="${d}" marker-end="url(#${taken ? 'wfnet-arrow-taken' : 'wfnet-arrow'})"/>`;
  const text = arcLabel(arc);
  if (text === undefined) return path;
  const kind = arc.condition !== undefined ? 'conditional' : 'default';
  const title =
    arc.condition !== undefined ? `condition: ${arc.condition}` : 'default: taken when no condition holds';
  const routeTitle = taken ? `; taken by the last completion of ${arc.from} (by ${route?.by})` : '';
  const routeData = route === undefined ? '' : ` data-taken="${taken}"`;
  const label = line.label;
  return (
    `<g class="decision ${kind}${taken ? ' taken' : ''}" data-decision="${kind}"${routeData}>` +
    `<title>${escapeXml(title + routeTitle)}</title>` +
    path +
    (kind === 'default' ? defaultMark(line.points) : '') +
    (label
      ? `<text class="condition" x="${round(label.x + label.width / 2)}" y="${round(label.y + label.height - 2)}" text-anchor="middle">${escapeXml(text)}</text>`
      : '') +
    '</g>'
  );
}

/**
 * A short slash across an arc near its start, as BPMN marks a default flow: on its first segment long
 * enough to carry one clear of a bend (an orthogonal route often leaves its transition by a stub).
 */
function defaultMark(points: readonly Point[]): string {
  const segments = points.slice(1).map((end, i) => ({ start: points[i]!, end }));
  const length = ({ start, end }: { start: Point; end: Point }): number =>
    Math.hypot(end.x - start.x, end.y - start.y);
  const segment = segments.find((s) => length(s) >= 24) ?? segments[0];
  if (!segment || length(segment) === 0) return '';
  const { start, end } = segment;
  const u = { x: (end.x - start.x) / length(segment), y: (end.y - start.y) / length(segment) };
  const along = Math.min(10, length(segment) / 2);
  const at = { x: start.x + u.x * along, y: start.y + u.y * along };
  const half = { x: -u.y * 5 + u.x * 3, y: u.x * 5 + u.y * 3 };
  return `<path class="default-mark" d="M${round(at.x - half.x)},${round(at.y - half.y)} L${round(at.x + half.x)},${round(at.y + half.y)}"/>`;
}

function sideMarker(marker: Marker, x: number, y: number, height: number, side: 'join' | 'split'): string {
  const { className, width, symbol } = marker;
  return (
    `<g class="${className}-${side}"><rect class="marker" x="${round(x)}" y="${round(y)}" width="${width}" height="${round(height)}" rx="3"/>` +
    `<text class="${className}" x="${round(x + width / 2)}" y="${round(y + height / 2 + 5)}" text-anchor="middle">${escapeXml(symbol)}</text></g>`
  );
}
