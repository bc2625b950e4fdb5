import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, followCase, notePosition, path, prefetchSvg, query } from './api.js';
import { may, useIdentity } from './identity.js';
import { IncidentsPanel } from './incidents.js';
import { WorkitemActions } from './worklist.js';
import {
  Badge,
  Diagram,
  ErrorState,
  actedElsewhere,
  Failures,
  Json,
  Load,
  LoadMore,
  Relative,
  NARROW,
  Time,
  diagramSource,
  href,
  html,
  notify,
  useDialog,
  useKeyVersion,
  useLoad,
  useMedia,
  usePaged,
  useServiceNow,
} from './widgets.js';

/** What each kind of timer waits for, in words (as the diagram's titles say it). */
const TIMER_TEXT = {
  executor: 'timer',
  scheduleToStart: 'schedule-to-start timeout',
  startToClose: 'start-to-close timeout',
  scheduleToClose: 'schedule-to-close timeout',
  case: 'case timeout',
  retry: 'next attempt',
};

const STATES = ['created', 'active', 'finished', 'terminated'];

const markingText = (marking) =>
  Object.entries(marking ?? {})
    .map(([place, count]) => (count === 1 ? place : `${place} ×${count}`))
    .join(', ') || '—';

const ORDERS = [
  ['desc', 'Newest first'],
  ['asc', 'Oldest first'],
];

export function CasesPage({ params }) {
  const workflowId = params.get('workflowId') ?? '';
  const state = params.get('state') ?? '';
  // Newest first unless the address asks for creation order.
  const order = params.get('order') === 'asc' ? 'asc' : 'desc';
  const [total, setTotal] = useState(undefined);
  const [workflows] = useLoad(() => api(`workflows${query({ limit: 500 })}`, { readModel: true }), []);
  const list = usePaged(
    async (after) => {
      const page = await api(
        `cases${query({ workflowId, state, order, limit: 50, after, total: after ? undefined : 'true' })}`,
        { readModel: true },
      );
      if (!after) setTotal(page.total);
      return page;
    },
    [workflowId, state, order],
  );
  const setFilter = (change) => {
    const next = { workflowId, state, order, ...change };
    location.hash = href.cases({ ...next, order: next.order === 'asc' ? 'asc' : '' });
  };
  const filtered = workflowId || state;
  return html`<section aria-labelledby="page-title">
    <h1 id="page-title" tabindex="-1">Cases</h1>
    <${FindCase} />
    <form class="filters" role="search" aria-label="Filter cases" onSubmit=${(e) => e.preventDefault()}>
      <div class="field">
        <label for="filter-workflow">Workflow</label>
        <select
          id="filter-workflow"
          value=${workflowId}
          onChange=${(e) => setFilter({ workflowId: e.currentTarget.value })}
        >
          <option value="">Any workflow</option>
          ${(workflows.data?.items ?? []).map((w) => html`<option value=${w.id}>${w.name || w.id}</option>`)}
          ${
            workflowId && !(workflows.data?.items ?? []).some((w) => w.id === workflowId)
              ? html`<option value=${workflowId}>${workflowId}</option>`
              : null
          }
        </select>
      </div>
      <div class="field">
        <label for="filter-state">State</label>
        <select
          id="filter-state"
          value=${state}
          onChange=${(e) => setFilter({ state: e.currentTarget.value })}
        >
          <option value="">Any state</option>
          ${STATES.map((s) => html`<option value=${s}>${s}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="filter-order">Order</label>
        <select id="filter-order" value=${order} onChange=${(e) => setFilter({ order: e.currentTarget.value })}>
          ${ORDERS.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
        </select>
      </div>
      <div class="field buttons">
        <button type="button" onClick=${list.reload}>Refresh</button>
        ${
          filtered
            ? html`<button type="button" onClick=${() => setFilter({ workflowId: '', state: '' })}>
                Clear filters
              </button>`
            : null
        }
      </div>
    </form>
    <p class="count" role="status">
      ${
        total === undefined
          ? ''
          : `${total} case${total === 1 ? '' : 's'}${filtered ? ' match these filters' : ' in all'}${
              list.state.data && total > list.state.data.length ? `; ${list.state.data.length} shown` : ''
            }.`
      }
    </p>
    <${Load}
      state=${list.state}
      retry=${list.reload}
      what="the cases"
      isEmpty=${(items) => items.length === 0}
      empty=${
        filtered
          ? html`<p>No case matches these filters.</p>`
          : html`<p>No cases yet. <a href=${href.workflows()}>Start one from a workflow.</a></p>`
      }
    >
      ${(items) =>
        html`<div class="table-wrap">
            <table class="cases stack">
              <caption class="visually-hidden">
                Cases
              </caption>
              <thead>
                <tr>
                  <th scope="col">Case</th>
                  <th scope="col">Workflow</th>
                  <th scope="col">State</th>
                  <th scope="col">Tokens in</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                ${items.map(
                  (c) =>
                    html`<tr key=${c.id} data-case=${c.id}>
                      <th scope="row"><a href=${href.case(c.id)}><${Id} value=${c.id} /></a></th>
                      <td data-label="Workflow">
                        <a href=${href.workflow(c.workflowId)}>${c.workflowId}</a>
                      </td>
                      <td data-label="State"><${Badge} value=${c.state} /></td>
                      <td data-label="Tokens in">${markingText(c.marking)}</td>
                      <td data-label="Updated"><${Time} iso=${c.updatedAt} /></td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>
          <${LoadMore} next=${list.next} onMore=${list.more} busy=${list.busy} />`}
    <//>
  </section>`;
}

/** Opens a case by its exact id, read with `GET /cases/:id`, or says that no case has it. */
function FindCase() {
  const [id, setId] = useState('');
  const [outcome, setOutcome] = useState(undefined);
  const find = async (event) => {
    event.preventDefault();
    const wanted = id.trim();
    if (!wanted) return;
    setOutcome({ busy: true });
    try {
      await api(path`cases/${wanted}`, { readModel: true });
      setOutcome(undefined);
      location.hash = href.case(wanted);
    } catch (error) {
      setOutcome({ error, wanted });
    }
  };
  return html`<form class="find" role="search" aria-label="Find a case by id" onSubmit=${find}>
    <div class="field">
      <label for="find-case">Case id</label>
      <input
        id="find-case"
        type="search"
        spellcheck="false"
        autocomplete="off"
        value=${id}
        onInput=${(e) => setId(e.currentTarget.value)}
      />
    </div>
    <div class="field buttons">
      <button type="submit" disabled=${id.trim() === '' || outcome?.busy}>Open case</button>
    </div>
    ${
      outcome?.error
        ? outcome.error.status === 404
          ? html`<p class="state error" role="alert">No case has the id <code>${outcome.wanted}</code>.</p>`
          : html`<${ErrorState} error=${outcome.error} what=${`open case ${outcome.wanted}`} />`
        : null
    }
  </form>`;
}

/** The characters kept at the end of a long id: engine-made ids differ there (`…:workitem-2`). */
const ID_TAIL = 12;

/**
 * An id that may be long (a UUID and more): where space is short its head is cut with an ellipsis and its
 * tail kept; whole in the title (on hover), and whole when selected and copied.
 */
export const Id = ({ value }) =>
  value.length <= ID_TAIL * 2
    ? html`<code class="id" title=${value}>${value}</code>`
    : html`<code class="id" title=${value}
        ><span class="id-head">${value.slice(0, -ID_TAIL)}</span
        ><span class="id-tail">${value.slice(-ID_TAIL)}</span></code
      >`;

/** One line about an event, naming transitions rather than task ids where the history says which. */
function summary(event, transitionOf) {
  const d = event.data ?? {};
  const of = (taskId) => (taskId === 'termination' ? 'the case' : (transitionOf.get(taskId) ?? taskId));
  const tokens = (ids) => `${ids?.length ?? 0} token${ids?.length === 1 ? '' : 's'}`;
  switch (event.type) {
    case 'CaseCreated':
      return `of ${d.workflowId}`;
    case 'TokensIssued':
      return `into ${(d.tokens ?? []).map((t) => t.placeId).join(', ')}`;
    case 'TaskStarted':
    case 'WorkitemCreated':
      return d.transitionId;
    case 'TokensReceived':
    case 'TokensLocked':
    case 'TokensConsumed':
    case 'TokensDiscarded':
    case 'TokensUnlocked':
      return `${tokens(d.tokenIds)} by ${of(d.taskId)}`;
    case 'TaskAllocated':
    case 'TaskCompleted':
      return of(d.taskId);
    case 'WorkitemUpdated':
      return `${of(d.taskId)} → ${d.state}${d.by ? ` by ${d.by}` : ''}`;
    case 'WorkitemClaimed':
      return `${of(d.taskId)} by ${d.by}`;
    case 'WorkitemReleased':
      return `${of(d.taskId)} by ${d.by}${d.by === d.claimedBy ? '' : ` (claimed by ${d.claimedBy})`}`;
    case 'TaskAbandoned':
      return `${of(d.taskId)} (${d.reason})`;
    case 'TimerScheduled':
      return `${TIMER_TEXT[d.kind] ?? d.kind}${d.taskId ? ` of ${of(d.taskId)}` : ''} due ${d.dueAt}`;
    case 'TimerFired':
      return `${TIMER_TEXT[d.kind] ?? d.kind} (${d.timerId})`;
    case 'TimerCancelled':
      return d.timerId;
    case 'WorkitemFailed':
      return `${of(d.taskId)} attempt ${d.attempt}: ${d.error?.type}${d.retryAt ? '' : ', no retry'}`;
    case 'IncidentRaised':
      return `${d.kind} on ${of(d.taskId)}`;
    case 'CaseTerminated':
      return d.reason ? `(${d.reason})` : '';
    default:
      return '';
  }
}

function transitionsOf(events) {
  const map = new Map();
  for (const event of events)
    if (event.type === 'TaskStarted') map.set(event.data.taskId, event.data.transitionId);
  return map;
}

const STREAM_TEXT = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  ended: 'history complete',
  error: 'not available',
};

/**
 * A case's workitems for its page: the first 500, and the open ones whatever their place, so that a long
 * case (thousands of workitems) still shows the work waiting in it. In creation order, as the list is.
 */
async function caseWorkitems(id) {
  const read = (state) =>
    api(`${path`cases/${id}/workitems`}${query({ limit: 500, state })}`, { readModel: true });
  const pages = await Promise.all([read(undefined), read('created'), read('started')]);
  const byId = new Map();
  for (const page of pages) for (const w of page.items) byId.set(w.id, w);
  const items = [...byId.values()].sort((a, b) => caseOrder(a.id, b.id));
  return { items };
}

/** Ids the engine makes end in a sequence number (`c1:workitem-12`): ordered by it, as they were made. */
const caseOrder = (a, b) => Number(/[0-9]+$/.exec(a)?.[0] ?? 0) - Number(/[0-9]+$/.exec(b)?.[0] ?? 0);

export function CasePage({ id }) {
  const [events, setEvents] = useState([]);
  const [stream, setStream] = useState({ status: 'connecting', error: undefined });
  const [selected, setSelected] = useState(null);
  const [current, reloadCurrent] = useLoad(() => api(path`cases/${id}`, { readModel: true }), [id]);
  const [tasks, reloadTasks] = useLoad(() => api(path`cases/${id}/tasks`, { readModel: true }), [id]);
  const [workitems, reloadWorkitems] = useLoad(() => caseWorkitems(id), [id]);
  const [tokens, reloadTokens] = useLoad(() => api(path`cases/${id}/tokens`, { readModel: true }), [id]);
  const [timers, reloadTimers] = useLoad(() => api(path`cases/${id}/timers`, { readModel: true }), [id]);
  const now = useServiceNow([id, timers.data]);
  const refreshTimer = useRef(undefined);
  const keyVersion = useKeyVersion();

  useEffect(() => {
    setEvents([]);
    setSelected(null);
    const refresh = () => {
      clearTimeout(refreshTimer.current);
      refreshTimer.current = setTimeout(() => {
        reloadCurrent();
        reloadTasks();
        reloadWorkitems();
        reloadTokens();
        reloadTimers();
      }, 120);
    };
    // A long history arrives as thousands of events in a burst: they are added a frame at a time, not one
    // render (and one copy of the list) per event.
    let arrived = [];
    let frame;
    const flush = () => {
      frame = undefined;
      const batch = arrived;
      arrived = [];
      setEvents((previous) => previous.concat(batch));
    };
    const stop = followCase(
      id,
      (event) => {
        // The tables are read models: reading at this event's position keeps them in step with it.
        notePosition(event.position);
        arrived.push(event);
        frame ??= requestAnimationFrame(flush);
        refresh();
      },
      (status, error) => setStream({ status, error }),
    );
    return () => {
      stop();
      if (frame !== undefined) cancelAnimationFrame(frame);
      clearTimeout(refreshTimer.current);
    };
  }, [id, keyVersion]);

  const lastRevision = events.length - 1;
  const shown = selected ?? lastRevision;
  const travelling = selected !== null;
  // The case as it was is read once stepping pauses: each read folds the history up to there, and while
  // keys are held down it would compete with the diagram's.
  const [settled, setSettled] = useState(null);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(selected), 250);
    return () => clearTimeout(timer);
  }, [selected]);
  const [past] = useLoad(
    () =>
      travelling && settled === selected
        ? api(`${path`cases/${id}`}${query({ atRevision: selected })}`)
        : Promise.resolve(null),
    [id, selected, settled],
  );
  const goTo = (revision) => {
    const bounded = Math.max(0, Math.min(lastRevision, revision));
    if (bounded !== shown) direction.current = bounded < shown ? -1 : 1;
    setSelected(bounded >= lastRevision ? null : bounded);
  };
  const pictureAt = (revision) => `${path`cases/${id}/diagram.svg`}${query({ atRevision: revision })}`;
  const diagramUrl = shown >= 0 ? pictureAt(shown) : path`cases/${id}/diagram.svg`;
  const narrow = useMedia(NARROW);
  // The pictures of the next steps either way, and of the first event (Home), are asked for ahead, after
  // this one: a step then shows one already drawn. Behind the shown revision first, where time travel
  // mostly goes.
  const direction = useRef(-1);
  useEffect(() => {
    if (shown < 0) return;
    const ahead = [1, 2, 3].map((n) => shown + direction.current * n);
    const other = shown - direction.current;
    for (const revision of [...ahead, other, 0])
      if (revision >= 0 && revision <= lastRevision) prefetchSvg(diagramSource(pictureAt(revision), narrow));
  }, [shown, narrow]);
  const event = events[shown];
  const caseState = current.data?.state;

  // The tables do not change with the revision shown: kept as one vnode, a step of time travel does not
  // diff their rows (a long case has thousands of tasks). `now` moves them every few seconds, and only
  // while they show something that counts down (a pending timer, a retry): otherwise a redraw of hundreds
  // of rows every few seconds would be a long task for nothing.
  const timerItems = Array.isArray(timers.data) ? timers.data : (timers.data?.items ?? []);
  const countsDown =
    timerItems.some((t) => t.state === 'pending') ||
    (workitems.data?.items ?? []).some((w) => w.retryAt !== null && w.retryAt !== undefined);
  const tick = countsDown ? Math.floor(now / 5_000) : 0;
  // Neither moves with the clock.
  const dataPanel = useMemo(
    () =>
      html`<${DataPanel} tokens=${tokens} retry=${reloadTokens} workitems=${workitems.data?.items ?? []} />`,
    [tokens, workitems],
  );
  const tasksTable = useMemo(() => html`<${TasksTable} items=${tasks.data ?? []} />`, [tasks]);
  const tables = useMemo(
    () => html`${
      current.data
        ? html`<${IncidentsPanel}
            caseId=${id}
            workflowId=${current.data.workflowId}
            version=${current.data.position}
            onChange=${reloadCurrent}
          />`
        : null
    }
    <section class="panel" aria-labelledby="workitems-title">
      <h2 id="workitems-title">Workitems <span class="now">now</span></h2>
      <${Load}
        state=${workitems}
        retry=${reloadWorkitems}
        what="the workitems"
        isEmpty=${(page) => page.items.length === 0}
        empty=${html`<p>No workitems yet.</p>`}
      >
        ${(page) => html`<${WorkitemsTable} items=${page.items} onChange=${reloadWorkitems} now=${now} />`}
      <//>
    </section>
    <div class="columns">
      ${dataPanel}
      <div>
        <${TimersPanel}
          state=${timers}
          retry=${reloadTimers}
          workitems=${workitems.data?.items ?? []}
          now=${now}
        />
        <section class="panel" aria-labelledby="tasks-title">
          <h2 id="tasks-title">Tasks <span class="now">now</span></h2>
          <${Load}
            state=${tasks}
            retry=${reloadTasks}
            what="the tasks"
            isEmpty=${(items) => items.length === 0}
            empty=${html`<p>No tasks yet.</p>`}
          >
            ${() => tasksTable}
          <//>
        </section>
      </div>
    </div>`,
    [id, current.data, workitems, tasks, tokens, timers, tick],
  );

  if (current.status === 'error' && current.error.status === 404) {
    return html`<section aria-labelledby="page-title">
      <p class="crumbs"><a href=${href.cases()}>Cases</a> /</p>
      <h1 id="page-title" tabindex="-1">Case <${Id} value=${id} /></h1>
      <${ErrorState} error=${current.error} retry=${reloadCurrent} what="open this case" />
    </section>`;
  }

  return html`<section aria-labelledby="page-title" class="case-page">
    <p class="crumbs"><a href=${href.cases()}>Cases</a> /</p>
    <h1 id="page-title" tabindex="-1">Case <${Id} value=${id} /></h1>
    <${Load} state=${current} retry=${reloadCurrent} what=${`case ${id}`}>
      ${(c) =>
        html`<div class="case-head">
          <p class="meta">
            <${Badge} value=${c.state} />${c.openIncidents > 0 ? html`${' '}<span class="badge badge-open">${c.openIncidents} open incident${c.openIncidents === 1 ? '' : 's'}</span>` : null}${' · workflow '}<a href=${href.workflow(c.workflowId)}>${c.workflowId}</a>${' · started '}<${Time} iso=${c.createdAt} />${' · updated '}<${Time} iso=${c.updatedAt} />
          </p>
          <${Terminate}
            id=${id}
            open=${c.state === 'active' || c.state === 'created'}
            onChange=${reloadCurrent}
          />
        </div>`}
    <//>

    <div class="case-view">
      <section class="panel diagram-panel" aria-labelledby="diagram-title">
        <div class="panel-head">
          <h2 id="diagram-title">Diagram</h2>
          <span class=${`stream stream-${stream.status}`} role="status">
            <span aria-hidden="true">●</span> ${STREAM_TEXT[stream.status] ?? stream.status}
          </span>
        </div>
        ${stream.error ? html`<${ErrorState} error=${stream.error} what="follow the case" />` : null}
        <div class="travel" role="group" aria-label="Time travel">
          <button
            type="button"
            onClick=${() => goTo(shown - 1)}
            disabled=${shown <= 0}
            aria-label="Step back one event"
          >
            ◀ Back
          </button>
          <label class="visually-hidden" for="revision">Revision</label>
          <input
            id="revision"
            type="range"
            min="0"
            max=${Math.max(0, lastRevision)}
            value=${Math.max(0, shown)}
            disabled=${lastRevision < 0}
            aria-valuetext=${event ? `revision ${shown}: ${event.type}` : 'no events yet'}
            onInput=${(e) => goTo(Number(e.currentTarget.value))}
          />
          <button
            type="button"
            onClick=${() => goTo(shown + 1)}
            disabled=${!travelling}
            aria-label="Step forward one event"
          >
            Forward ▶
          </button>
          <button type="button" onClick=${() => setSelected(null)} disabled=${!travelling}>Latest</button>
        </div>
        <p class="travel-status" aria-live="polite" data-shown-revision=${shown}>
          ${
            event
              ? html`${travelling ? 'As it was after' : 'Now, after'}${' revision '}<strong>${shown}</strong>${` of ${lastRevision}: `}<strong>${event.type}</strong>${' '}<${Time} iso=${event.recordedAt} />${travelling && past.data ? html`${' · case '}<${Badge} value=${past.data.state} />${' then'}` : null}${travelling && caseState ? ` (now ${caseState})` : null}`
              : 'Waiting for the history…'
          }
        </p>
        <${Diagram} url=${diagramUrl} />
      </section>

      <section class="panel timeline-panel" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <${Timeline} events=${events} shown=${shown} onSelect=${goTo} />
        ${event ? html`<${EventData} event=${event} />` : null}
      </section>
    </div>

    ${tables}
  </section>`;
}

/** Rows a case table shows before "Show all": a long case has thousands of tasks, a person reads the last few. */
const RECENT = 50;

/** The last `RECENT` of `items` until `all`, and the button that shows the rest. */
function useRecent(items, what) {
  const [all, setAll] = useState(false);
  const hidden = all ? 0 : Math.max(0, items.length - RECENT);
  const more =
    hidden === 0
      ? null
      : html`<p class="more">
          <button type="button" onClick=${() => setAll(true)}>
            Show all ${items.length} ${what} (${hidden} earlier)
          </button>
        </p>`;
  return [hidden === 0 ? items : items.slice(hidden), more];
}

/** JSON laid out for reading, in a block that wraps rather than widening the page. */
const JsonBlock = ({ value, label }) =>
  html`<pre class="json-block" aria-label=${label}>${JSON.stringify(value, null, 2)}</pre>`;

/** The event the diagram shows, opened to its JSON. */
function EventData({ event }) {
  return html`<section class="event-data" aria-labelledby="event-data-title" data-revision=${event.revision}>
    <h3 id="event-data-title">Event ${event.revision}: ${event.type}</h3>
    <${JsonBlock} value=${event.data} label=${`Data of event ${event.revision}`} />
  </section>`;
}

/** A token the case's end consumed: the one that reached its end place, whose payload is the case's result. */
const atEnd = (token) => token.state === 'consumed' && token.consumedByTaskId === 'termination';
const tokenOrder = (token) => (atEnd(token) ? 2 : token.state === 'locked' ? 1 : 0);

/**
 * The case's business data: the data it was started with (the genesis token's payload), the payload of each
 * token in a place now, and the output of each workitem that has one.
 */
function DataPanel({ tokens, retry, workitems }) {
  const [outputs, moreOutputs] = useRecent(
    workitems.filter((w) => w.output !== null && w.output !== undefined),
    'outputs',
  );
  return html`<section class="panel data-panel" aria-labelledby="data-title">
    <h2 id="data-title">Data <span class="now">now</span></h2>
    <${Load} state=${tokens} retry=${retry} what="the tokens">
      ${(table) => {
        const genesis = table.find((t) => t.producedByTaskId === 'genesis');
        const inPlaces = table
          .filter((t) => t.state !== 'consumed' || atEnd(t))
          .sort((a, b) => tokenOrder(a) - tokenOrder(b));
        return html`<h3>Case data</h3>
          ${genesis ? html`<${JsonBlock} value=${genesis.payload} label="Case data" />` : html`<p>None.</p>`}
          <h3>Tokens in places</h3>
          ${
            inPlaces.length === 0
              ? html`<p>No token is in a place now.</p>`
              : html`<ul class="data-list">
                  ${inPlaces.map(
                    (t) =>
                      html`<li key=${t.id} data-token=${t.id}>
                        <p class="meta">
                          <strong>${t.placeId}</strong> ·${' '}
                          ${
                            atEnd(t)
                              ? html`<span class="badge badge-finished">reached the end</span>`
                              : html`<${Badge} value=${t.state} />`
                          }${' · '}<${Id} value=${t.id} />
                        </p>
                        <${JsonBlock} value=${t.payload} label=${`Payload of ${t.id}`} />
                      </li>`,
                  )}
                </ul>`
          }`;
      }}
    <//>
    <h3>Workitem outputs</h3>
    ${
      outputs.length === 0
        ? html`<p>No workitem has an output yet.</p>`
        : html`<ul class="data-list">
            ${outputs.map(
              (w) =>
                html`<li key=${w.id} data-output=${w.id}>
                  <p class="meta"><strong>${w.transitionId}</strong> · <${Id} value=${w.id} /></p>
                  <${JsonBlock} value=${w.output} label=${`Output of ${w.id}`} />
                </li>`,
            )}
          </ul>`
    }
    ${moreOutputs}
  </section>`;
}

/** Every row of the timeline is this tall (px), so that only the rows in view need to exist. */
const ROW = 44;
/** Rows drawn beyond each edge of the view, so that a short scroll shows no gap. */
const OVERSCAN = 8;
const PAGE_ROWS = 10;

function timelineRow(event, index, side, total, transitionOf, onSelect) {
  const revision = Number(event.revision);
  return html`<li
    key=${event.revision}
    role="option"
    class=${side === 'future' ? 'future' : ''}
    style=${`top: ${index * ROW}px`}
    aria-selected=${side === 'current' ? 'true' : 'false'}
    aria-current=${side === 'current' ? 'step' : undefined}
    aria-setsize=${total}
    aria-posinset=${index + 1}
    tabindex=${side === 'current' ? '0' : '-1'}
    data-revision=${event.revision}
    onClick=${() => onSelect(revision)}
  >
    <span class="rev">${event.revision}</span>
    <span class="type">${event.type}</span>
    <${Time} iso=${event.recordedAt} />
    <span class="what">${summary(event, transitionOf)}</span>
  </li>`;
}

/**
 * The case's events, virtualized: only the rows in view are in the DOM, so a step of time travel re-renders
 * a few dozen rows whatever the length of the history. One Tab stop (the current event, a roving tabindex);
 * the arrow keys, Page Up/Down, Home and End move through the history from there.
 */
function Timeline({ events, shown, onSelect }) {
  const box = useRef(null);
  const [view, setView] = useState({ top: 0, height: 28 * 16 });
  const transitionOf = useMemo(() => transitionsOf(events), [events]);
  const focusAfterMove = useRef(false);
  const rowCache = useRef({ events: undefined, rows: new Map() });
  // Kept rows call the latest onSelect, not the one of the render that drew them.
  const latestSelect = useRef(onSelect);
  latestSelect.current = onSelect;
  const select = useCallback((revision) => latestSelect.current(revision), []);

  useLayoutEffect(() => {
    const container = box.current;
    if (!container || shown < 0) return;
    const top = shown * ROW;
    if (top < container.scrollTop || top + ROW > container.scrollTop + container.clientHeight) {
      container.scrollTop = Math.max(0, top - container.clientHeight / 2 + ROW / 2);
    }
    if (container.scrollTop !== view.top || container.clientHeight !== view.height)
      setView({ top: container.scrollTop, height: container.clientHeight });
  }, [shown, events.length]);

  useEffect(() => {
    if (!focusAfterMove.current) return;
    focusAfterMove.current = false;
    box.current?.querySelector('[aria-current="step"]')?.focus({ preventScroll: true });
  }, [shown]);

  if (events.length === 0) return html`<p class="state loading" role="status">Loading the history…</p>`;

  const onKeyDown = (e) => {
    const last = events.length - 1;
    const target = {
      ArrowUp: shown - 1,
      ArrowDown: shown + 1,
      PageUp: shown - PAGE_ROWS,
      PageDown: shown + PAGE_ROWS,
      Home: 0,
      End: last,
    }[e.key];
    if (target === undefined) return;
    e.preventDefault();
    focusAfterMove.current = true;
    onSelect(Math.max(0, Math.min(last, target)));
  };
  const first = Math.max(0, Math.floor(view.top / ROW) - OVERSCAN);
  const end = Math.min(events.length, Math.ceil((view.top + view.height) / ROW) + OVERSCAN);
  // A row is drawn again only when it changes side of the shown revision: a step redraws two rows.
  if (rowCache.current.events !== events || rowCache.current.rows.size > 2_000)
    rowCache.current = { events, rows: new Map() };
  const rows = [];
  for (let index = first; index < end; index++) {
    const side = index < shown ? 'past' : index === shown ? 'current' : 'future';
    const key = `${index}:${side}`;
    let row = rowCache.current.rows.get(key);
    if (row === undefined) {
      row = timelineRow(events[index], index, side, events.length, transitionOf, select);
      rowCache.current.rows.set(key, row);
    }
    rows.push(row);
  }
  return html`<div
    class="timeline"
    ref=${box}
    onScroll=${(e) => setView({ top: e.currentTarget.scrollTop, height: e.currentTarget.clientHeight })}
  >
    <ol
      role="listbox"
      aria-label=${`Events, ${events.length} in all`}
      onKeyDown=${onKeyDown}
      style=${`height: ${events.length * ROW}px`}
    >
      ${rows}
    </ol>
  </div>`;
}

const timerOrder = (a, b) =>
  (a.state === 'pending' ? 0 : 1) - (b.state === 'pending' ? 0 : 1) ||
  (a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : 0);

/**
 * The case's timers, pending ones first by due time, fired and cancelled ones greyed out; no panel for a
 * case that never had one. The list is `GET /cases/:id/timers`, read again with the case's live updates.
 */
function TimersPanel({ state, retry, workitems, now }) {
  const items =
    state.data === undefined ? undefined : Array.isArray(state.data) ? state.data : state.data.items;
  if (state.status === 'ok' && items.length === 0) return null;
  const transitionOf = new Map(workitems.map((w) => [w.id, w.transitionId]));
  return html`<section class="panel" aria-labelledby="timers-title">
    <h2 id="timers-title">Timers <span class="now">now</span></h2>
    <${Load} state=${{ ...state, data: items }} retry=${retry} what="the timers">
      ${(list) =>
        html`<div class="table-wrap">
          <table class="timers stack">
            <thead>
              <tr>
                <th scope="col">Timer</th>
                <th scope="col">For</th>
                <th scope="col">Due</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              ${[...list].sort(timerOrder).map(
                (t) =>
                  html`<tr
                    key=${t.id}
                    data-timer=${t.id}
                    data-state=${t.state}
                    class=${t.state === 'pending' ? 'timer-pending' : 'timer-done'}
                  >
                    <th scope="row">${TIMER_TEXT[t.kind] ?? t.kind} <code class="muted">${t.id}</code></th>
                    <td data-label="For">
                      ${
                        t.workitemId
                          ? html`${transitionOf.get(t.workitemId) ?? ''} <${Id} value=${t.workitemId} />`
                          : 'the case'
                      }
                    </td>
                    <td data-label="Due">
                      <${Time} iso=${t.dueAt} />${t.state === 'pending' ? html` · <${Relative} iso=${t.dueAt} now=${now} />` : null}${t.firedAt ? html` · fired <${Time} iso=${t.firedAt} />` : null}${t.cancelledAt ? html` · cancelled <${Time} iso=${t.cancelledAt} />` : null}
                    </td>
                    <td data-label="State"><${Badge} value=${t.state} /></td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </div>`}
    <//>
  </section>`;
}

function WorkitemsTable({ items, onChange, now }) {
  const [shown, more] = useRecent(items, 'workitems');
  return html`<div class="table-wrap">
    <table class="workitems stack">
      <thead>
        <tr>
          <th scope="col">Workitem</th>
          <th scope="col">Transition</th>
          <th scope="col">State</th>
          <th scope="col">Attempts</th>
          <th scope="col">Output</th>
          <th scope="col"><span class="visually-hidden">Actions</span></th>
        </tr>
      </thead>
      <tbody>
        ${shown.map(
          (w) =>
            html`<tr key=${w.id} data-workitem=${w.id}>
              <th scope="row"><${Id} value=${w.id} /></th>
              <td data-label="Transition">${w.transitionId} <span class="muted">(${w.executor})</span></td>
              <td data-label="State"><${Badge} value=${w.state} /></td>
              <td data-label="Attempts"><${Failures} workitem=${w} now=${now} /></td>
              <td data-label="Output"><${Json} value=${w.output} max=${40} /></td>
              <td class="row-actions">
                ${
                  w.state === 'started' && w.executor === 'manual'
                    ? html`<${WorkitemActions} workitem=${w} onDone=${onChange} />`
                    : null
                }
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>
  ${more}`;
}

function TasksTable({ items }) {
  const [shown, more] = useRecent(items, 'tasks');
  return html`<div class="table-wrap">
    <table class="tasks stack">
      <thead>
        <tr>
          <th scope="col">Task</th>
          <th scope="col">Transition</th>
          <th scope="col">State</th>
          <th scope="col">Token payload</th>
        </tr>
      </thead>
      <tbody>
        ${shown.map(
          (t) =>
            html`<tr key=${t.id} data-task=${t.id}>
              <th scope="row"><${Id} value=${t.id} /></th>
              <td data-label="Transition">${t.transitionId}</td>
              <td data-label="State"><${Badge} value=${t.state} /></td>
              <td data-label="Token payload"><${Json} value=${t.tokenPayload} max=${40} /></td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>
  ${more}`;
}

/**
 * Terminate, confirmed first. When someone else ended the case meanwhile, says so and stays, disabled, while
 * the page reads the case again; otherwise shown only while the case is open.
 */
function Terminate({ id, open, onChange }) {
  const [step, setStep] = useState('idle');
  const [error, setError] = useState(undefined);
  const confirm = useRef(null);
  const identity = useIdentity();
  const opener = useDialog(step !== 'idle', () => step === 'confirm' && setStep('idle'));
  useEffect(() => {
    if (step === 'confirm') confirm.current?.focus();
  }, [step]);
  const terminate = async () => {
    setStep('busy');
    try {
      await api(path`cases/${id}/terminate`, { method: 'POST' });
      notify(`Case ${id} terminated.`);
      setStep('idle');
    } catch (failure) {
      setError(failure);
      if (actedElsewhere(failure)) {
        setStep('gone');
        onChange();
      } else setStep('confirm');
    }
  };
  if (step === 'gone')
    return html`<div class="confirm" role="group" aria-label="Terminate case">
      <${ErrorState} error=${error} what="terminate the case" />
      <button type="button" class="danger" disabled>Terminate case…</button>
    </div>`;
  if (!open || !may(identity, 'administer')) return null;
  if (step === 'idle')
    return html`<button type="button" class="danger" ref=${opener} onClick=${() => setStep('confirm')}>
      Terminate case…
    </button>`;
  return html`<div class="confirm" role="group" aria-label="Confirm termination">
    <p>Terminate this case? Every open task and workitem is abandoned; nothing moves after.</p>
    ${error ? html`<${ErrorState} error=${error} what="terminate the case" />` : null}
    <button type="button" class="danger" ref=${confirm} onClick=${terminate} disabled=${step === 'busy'}>
      ${step === 'busy' ? 'Terminating…' : 'Terminate'}
    </button>
    <button type="button" onClick=${() => setStep('idle')} disabled=${step === 'busy'}>Cancel</button>
  </div>`;
}
