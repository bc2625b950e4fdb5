import { useEffect, useRef, useState } from 'preact/hooks';
import { api, followCase, notePosition, path, query } from './api.js';
import { IncidentsPanel } from './incidents.js';
import { WorkitemActions } from './worklist.js';
import {
  Badge,
  Diagram,
  ErrorState,
  Failures,
  Json,
  Load,
  LoadMore,
  Relative,
  Time,
  href,
  html,
  notify,
  useDialog,
  useKeyVersion,
  useLoad,
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

export function CasesPage({ params }) {
  const workflowId = params.get('workflowId') ?? '';
  const state = params.get('state') ?? '';
  const [workflows] = useLoad(() => api(`workflows${query({ limit: 500 })}`, { readModel: true }), []);
  const list = usePaged(
    (after) => api(`cases${query({ workflowId, state, limit: 50, after })}`, { readModel: true }),
    [workflowId, state],
  );
  const setFilter = (change) => {
    location.hash = href.cases({ workflowId, state, ...change });
  };
  const filtered = workflowId || state;
  return html`<section aria-labelledby="page-title">
    <h1 id="page-title" tabindex="-1">Cases</h1>
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
                      <th scope="row"><a href=${href.case(c.id)}>${c.id}</a></th>
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
      return `${of(d.taskId)} → ${d.state}`;
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

export function CasePage({ id }) {
  const [events, setEvents] = useState([]);
  const [stream, setStream] = useState({ status: 'connecting', error: undefined });
  const [selected, setSelected] = useState(null);
  const [current, reloadCurrent] = useLoad(() => api(path`cases/${id}`, { readModel: true }), [id]);
  const [tasks, reloadTasks] = useLoad(() => api(path`cases/${id}/tasks`, { readModel: true }), [id]);
  const [workitems, reloadWorkitems] = useLoad(
    () => api(`${path`cases/${id}/workitems`}${query({ limit: 500 })}`, { readModel: true }),
    [id],
  );
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
        reloadTimers();
      }, 120);
    };
    const stop = followCase(
      id,
      (event) => {
        // The tables are read models: reading at this event's position keeps them in step with it.
        notePosition(event.position);
        setEvents((previous) => [...previous, event]);
        refresh();
      },
      (status, error) => setStream({ status, error }),
    );
    return () => {
      stop();
      clearTimeout(refreshTimer.current);
    };
  }, [id, keyVersion]);

  const lastRevision = events.length - 1;
  const shown = selected ?? lastRevision;
  const travelling = selected !== null;
  const [past] = useLoad(
    () =>
      travelling ? api(`${path`cases/${id}`}${query({ atRevision: selected })}`) : Promise.resolve(null),
    [id, selected],
  );
  const goTo = (revision) => {
    const bounded = Math.max(0, Math.min(lastRevision, revision));
    setSelected(bounded >= lastRevision ? null : bounded);
  };
  const diagramUrl =
    shown >= 0
      ? `${path`cases/${id}/diagram.svg`}${query({ atRevision: shown })}`
      : path`cases/${id}/diagram.svg`;
  const event = events[shown];
  const caseState = current.data?.state;

  if (current.status === 'error' && current.error.status === 404) {
    return html`<section aria-labelledby="page-title">
      <p class="crumbs"><a href=${href.cases()}>Cases</a> /</p>
      <h1 id="page-title" tabindex="-1">Case <code>${id}</code></h1>
      <${ErrorState} error=${current.error} retry=${reloadCurrent} what=${`find case ${id}`} />
    </section>`;
  }

  return html`<section aria-labelledby="page-title" class="case-page">
    <p class="crumbs"><a href=${href.cases()}>Cases</a> /</p>
    <h1 id="page-title" tabindex="-1">Case <code>${id}</code></h1>
    <${Load} state=${current} retry=${reloadCurrent} what=${`case ${id}`}>
      ${(c) =>
        html`<div class="case-head">
          <p class="meta">
            <${Badge} value=${c.state} />${c.openIncidents > 0 ? html`${' '}<span class="badge badge-open">${c.openIncidents} open incident${c.openIncidents === 1 ? '' : 's'}</span>` : null}${' · workflow '}<a href=${href.workflow(c.workflowId)}>${c.workflowId}</a>${' · started '}<${Time} iso=${c.createdAt} />${' · updated '}<${Time} iso=${c.updatedAt} />
          </p>
          ${c.state === 'active' || c.state === 'created' ? html`<${Terminate} id=${id} />` : null}
        </div>`}
    <//>

    <section class="panel" aria-labelledby="diagram-title">
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

    <div class="columns">
      <section class="panel" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <${Timeline} events=${events} shown=${shown} onSelect=${goTo} />
      </section>
      <div>
        ${
          current.data
            ? html`<${IncidentsPanel}
                caseId=${id}
                workflowId=${current.data.workflowId}
                version=${current.data.updatedAt}
                onChange=${reloadCurrent}
              />`
            : null
        }
        <${TimersPanel}
          state=${timers}
          retry=${reloadTimers}
          workitems=${workitems.data?.items ?? []}
          now=${now}
        />
        <section class="panel" aria-labelledby="workitems-title">
          <h2 id="workitems-title">Workitems <span class="now">now</span></h2>
          <${Load}
            state=${workitems}
            retry=${reloadWorkitems}
            what="the workitems"
            isEmpty=${(page) => page.items.length === 0}
            empty=${html`<p>No workitems yet.</p>`}
          >
            ${(page) =>
              html`<${WorkitemsTable} items=${page.items} onChange=${reloadWorkitems} now=${now} />`}
          <//>
        </section>
        <section class="panel" aria-labelledby="tasks-title">
          <h2 id="tasks-title">Tasks <span class="now">now</span></h2>
          <${Load}
            state=${tasks}
            retry=${reloadTasks}
            what="the tasks"
            isEmpty=${(items) => items.length === 0}
            empty=${html`<p>No tasks yet.</p>`}
          >
            ${(items) => html`<${TasksTable} items=${items} />`}
          <//>
        </section>
      </div>
    </div>
  </section>`;
}

function Timeline({ events, shown, onSelect }) {
  const list = useRef(null);
  useEffect(() => {
    const container = list.current;
    const item = container?.querySelector('[aria-current="step"]');
    if (!container || !item) return;
    // The list is positioned, so offsets are within it.
    const top = item.offsetTop;
    if (top < container.scrollTop || top + item.offsetHeight > container.scrollTop + container.clientHeight)
      container.scrollTop = top - container.clientHeight / 2;
  }, [shown, events.length]);
  if (events.length === 0) return html`<p class="state loading" role="status">Loading the history…</p>`;
  const transitionOf = transitionsOf(events);
  return html`<ol class="timeline" ref=${list}>
    ${events.map((event, index) => {
      const revision = Number(event.revision);
      return html`<li key=${event.revision} class=${index > shown ? 'future' : ''}>
        <button
          type="button"
          aria-current=${revision === shown ? 'step' : undefined}
          data-revision=${event.revision}
          onClick=${() => onSelect(revision)}
        >
          <span class="rev">${event.revision}</span>
          <span class="type">${event.type}</span>
          <span class="what">${summary(event, transitionOf)}</span>
          <${Time} iso=${event.recordedAt} />
        </button>
      </li>`;
    })}
  </ol>`;
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
                          ? html`${transitionOf.get(t.workitemId) ?? ''} <code>${t.workitemId}</code>`
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
        ${items.map(
          (w) =>
            html`<tr key=${w.id} data-workitem=${w.id}>
              <th scope="row"><code>${w.id}</code></th>
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
  </div>`;
}

function TasksTable({ items }) {
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
        ${items.map(
          (t) =>
            html`<tr key=${t.id} data-task=${t.id}>
              <th scope="row"><code>${t.id}</code></th>
              <td data-label="Transition">${t.transitionId}</td>
              <td data-label="State"><${Badge} value=${t.state} /></td>
              <td data-label="Token payload"><${Json} value=${t.tokenPayload} max=${40} /></td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function Terminate({ id }) {
  const [step, setStep] = useState('idle');
  const [error, setError] = useState(undefined);
  const confirm = useRef(null);
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
      setStep('confirm');
    }
  };
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
