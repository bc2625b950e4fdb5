import { useState } from 'preact/hooks';
import { api, path, query } from './api.js';
import { may, useIdentity } from './identity.js';
import {
  Badge,
  ErrorState,
  actedElsewhere,
  errorText,
  Failures,
  Json,
  JsonField,
  Load,
  LoadMore,
  Time,
  href,
  html,
  notify,
  parseJson,
  useDialog,
  useLoad,
  usePaged,
} from './widgets.js';

const ACTION_TEXT = { retry: 'Retried', complete: 'Completed', route: 'Routed', abandon: 'Abandoned' };

const resolutionText = (resolution) =>
  resolution.action === 'route' ? `routed to ${resolution.placeIds.join(', ')}` : resolution.action;

/**
 * The case's incidents in the order raised, each open one with its resolve actions; read again whenever
 * `version` changes: the position of the case's last event, not its time, which stays the same for the events
 * of one instant (an incident raised after a read that saw the timer fire at that instant). The UI does not
 * know the key's role: a key that may not resolve gets the 403 shown.
 */
export function IncidentsPanel({ caseId, workflowId, version, onChange }) {
  const [incidents, reload] = useLoad(
    () => api(`incidents${query({ caseId, limit: 500 })}`, { readModel: true }),
    [caseId, version],
  );
  const done = () => {
    reload();
    onChange?.();
  };
  // A case that never had an incident shows no panel for them.
  if (incidents.status === 'ok' && incidents.data.items.length === 0) return null;
  return html`<section class="panel" aria-labelledby="incidents-title">
    <h2 id="incidents-title">Incidents <span class="now">now</span></h2>
    <${Load}
      state=${incidents}
      retry=${reload}
      what="the incidents"
      isEmpty=${(page) => page.items.length === 0}
      empty=${html`<p>No incidents.</p>`}
    >
      ${(page) =>
        html`<ul class="incidents">
          ${page.items.map(
            (incident) =>
              html`<${IncidentItem}
                key=${incident.id}
                incident=${incident}
                workflowId=${workflowId}
                version=${version}
                onDone=${done}
              />`,
          )}
        </ul>`}
    <//>
  </section>`;
}

/** One incident: what it is about, and its resolve actions while open, else how it was resolved. */
function IncidentItem({ incident, workflowId, version, onDone, showCase = false }) {
  return html`<li data-incident=${incident.id}>
    <p class="meta">
      <code>${incident.id}</code>${' '}<${Badge} value=${incident.state} />${` ${incident.kind}`}${showCase ? html`${' · case '}<a href=${href.case(incident.caseId)}>${incident.caseId}</a>` : null}${' · task '}<code>${incident.taskId}</code>${' · raised '}<${Time} iso=${incident.createdAt} />
    </p>
    <p class="incident-message">${incident.message}</p>
    ${
      incident.workitemId
        ? html`<${IncidentWorkitem} workitemId=${incident.workitemId} version=${version} />`
        : null
    }
    ${
      incident.state === 'open'
        ? html`<${ResolveActions} incident=${incident} workflowId=${workflowId} onDone=${onDone} />`
        : html`<p class="meta">
            Resolved: ${resolutionText(incident.resolution)}${' '}<${Time} iso=${incident.resolvedAt} />
            ${incident.resolution.action === 'complete' ? html` · output <${Json} value=${incident.resolution.output} max=${60} />` : null}
          </p>`
    }
  </li>`;
}

const KINDS = ['condition_failed', 'executor_failed', 'timeout'];

/**
 * Every case's incidents, open ones by default, filtered by state and kind (the filters are in the
 * address), each with the same actions as on its case's page. Refreshed every few seconds.
 */
export function IncidentsPage({ params }) {
  const state = params.get('state') ?? 'open';
  const kind = params.get('kind') ?? '';
  const list = usePaged(
    (after) =>
      api(`incidents${query({ state: state === 'any' ? '' : state, kind, limit: 100, after })}`, {
        readModel: true,
      }),
    [state, kind],
    { refreshEvery: 5000 },
  );
  const setFilter = (change) => {
    location.hash = href.incidents({ state, kind, ...change });
  };
  return html`<section aria-labelledby="page-title">
    <h1 id="page-title" tabindex="-1">Incidents</h1>
    <form class="filters" role="search" aria-label="Filter incidents" onSubmit=${(e) => e.preventDefault()}>
      <div class="field">
        <label for="filter-incident-state">State</label>
        <select
          id="filter-incident-state"
          value=${state}
          onChange=${(e) => setFilter({ state: e.currentTarget.value })}
        >
          <option value="open">open</option>
          <option value="resolved">resolved</option>
          <option value="any">any state</option>
        </select>
      </div>
      <div class="field">
        <label for="filter-incident-kind">Kind</label>
        <select
          id="filter-incident-kind"
          value=${kind}
          onChange=${(e) => setFilter({ kind: e.currentTarget.value })}
        >
          <option value="">Any kind</option>
          ${KINDS.map((k) => html`<option value=${k}>${k}</option>`)}
        </select>
      </div>
      <div class="field buttons">
        <button type="button" onClick=${list.reload}>Refresh</button>
      </div>
    </form>
    <${Load}
      state=${list.state}
      retry=${list.reload}
      what="the incidents"
      isEmpty=${(items) => items.length === 0}
      empty=${html`<p>${state === 'open' ? 'No open incident: nothing waits for a person.' : 'No incident matches these filters.'}</p>`}
    >
      ${(items) =>
        html`<ul class="incidents" aria-label="Incidents">
            ${items.map(
              (incident) =>
                html`<${IncidentItem}
                  key=${incident.id}
                  incident=${incident}
                  version=${incident.resolvedAt ?? incident.createdAt}
                  onDone=${list.reload}
                  showCase=${true}
                />`,
            )}
          </ul>
          <${LoadMore} next=${list.next} onMore=${list.more} busy=${list.busy} />`}
    <//>
  </section>`;
}

/**
 * The workitem an `executor_failed` or `timeout` incident is about: its transition and state, its failed
 * attempts and the last error (what a person needs to choose between retrying, completing and abandoning).
 */
function IncidentWorkitem({ workitemId, version }) {
  const [workitem] = useLoad(
    () => api(path`workitems/${workitemId}`, { readModel: true }),
    [workitemId, version],
  );
  const w = workitem.data;
  return html`<div class="incident-workitem">
    <p class="meta">
      Workitem <code>${workitemId}</code>${
        w ? html`${` of ${w.transitionId} (${w.executor}) `}<${Badge} value=${w.state} />` : null
      }${w && !(w.attempts > 0) ? ' · no failed attempt' : null}
    </p>
    ${w ? html`<${Failures} workitem=${w} />` : null}
    ${
      workitem.status === 'error'
        ? html`<p class="meta">${errorText(workitem.error, 'read its workitem')}</p>`
        : null
    }
  </div>`;
}

/** The output places of the incident's transition, read from its task and the workflow, to choose from. */
function RouteChoices({ incident, workflowId, chosen, onToggle }) {
  const [targets, reload] = useLoad(async () => {
    const ofCase = workflowId ?? (await api(path`cases/${incident.caseId}`, { readModel: true })).workflowId;
    const [task, workflow] = await Promise.all([
      api(path`tasks/${incident.taskId}`, { readModel: true }),
      api(path`workflows/${ofCase}`, { readModel: true }),
    ]);
    const split = workflow.transitions.find((t) => t.id === task.transitionId);
    const places = workflow.arcs.filter((a) => a.from === task.transitionId).map((a) => a.to);
    return { only: split?.splitType === 'xor', places };
  }, [incident.id, workflowId]);
  return html`<${Load} state=${targets} retry=${reload} what="the output places">
    ${({ only, places }) =>
      html`<fieldset>
        <legend>Send the tokens to${only ? ' (one place)' : ''}</legend>
        ${places.map(
          (placeId) =>
            html`<label key=${placeId}>
              <input
                type=${only ? 'radio' : 'checkbox'}
                name=${`route-${incident.id}`}
                checked=${chosen.includes(placeId)}
                onChange=${() => onToggle(placeId, only)}
              />
              ${' '}${placeId}
            </label>`,
        )}
      </fieldset>`}
  <//>`;
}

function ResolveActions({ incident, workflowId, onDone }) {
  const [mode, setMode] = useState('idle');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(undefined);
  const [output, setOutput] = useState('{}');
  const [chosen, setChosen] = useState([]);
  const identity = useIdentity();
  const parsed = parseJson(output);
  const opener = useDialog(mode !== 'idle', () => !busy && setMode('idle'));

  const resolve = async (body) => {
    setBusy(true);
    setError(undefined);
    try {
      await api(path`incidents/${incident.id}/resolve`, { method: 'POST', body });
      notify(`${ACTION_TEXT[body.action]}: incident ${incident.id}.`);
      setMode('idle');
      onDone();
    } catch (failure) {
      setError(failure);
      if (actedElsewhere(failure)) onDone();
    } finally {
      setBusy(false);
    }
  };
  const toggle = (placeId, only) =>
    setChosen((previous) =>
      only
        ? [placeId]
        : previous.includes(placeId)
          ? previous.filter((p) => p !== placeId)
          : [...previous, placeId],
    );
  const failure = error ? html`<${ErrorState} error=${error} what="resolve the incident" />` : null;

  if (!may(identity, 'administer')) return null;
  if (mode === 'complete') {
    return html`<form
      class="complete"
      aria-label=${`Complete the workitem of ${incident.id}`}
      onSubmit=${(e) => {
        e.preventDefault();
        if (parsed.ok) void resolve({ action: 'complete', output: parsed.value });
      }}
    >
      <${JsonField}
        label="Output (JSON)"
        value=${output}
        onInput=${setOutput}
        hint="Valid JSON: the workitem completes with it."
      />
      ${failure}
      <div class="actions">
        <button type="submit" class="primary" disabled=${!parsed.ok || busy}>
          ${busy ? 'Completing…' : 'Complete'}
        </button>
        <button type="button" onClick=${() => setMode('idle')} disabled=${busy}>Cancel</button>
      </div>
    </form>`;
  }
  if (mode === 'route') {
    return html`<form
      class="route"
      aria-label=${`Route the task of ${incident.id}`}
      onSubmit=${(e) => {
        e.preventDefault();
        if (chosen.length > 0) void resolve({ action: 'route', placeIds: chosen });
      }}
    >
      <${RouteChoices} incident=${incident} workflowId=${workflowId} chosen=${chosen} onToggle=${toggle} />
      ${failure}
      <div class="actions">
        <button type="submit" class="primary" disabled=${chosen.length === 0 || busy}>
          ${busy ? 'Routing…' : 'Route'}
        </button>
        <button type="button" onClick=${() => setMode('idle')} disabled=${busy}>Cancel</button>
      </div>
    </form>`;
  }
  return html`<div class="actions" role="group" aria-label=${`Resolve ${incident.id}`}>
    <button type="button" class="primary" onClick=${() => resolve({ action: 'retry' })} disabled=${busy}>
      Retry
    </button>
    ${
      incident.kind === 'condition_failed'
        ? html`<button type="button" ref=${opener} onClick=${() => setMode('route')} disabled=${busy}>Route…</button>`
        : html`<button type="button" ref=${opener} onClick=${() => setMode('complete')} disabled=${busy}>
            Complete…
          </button>`
    }
    <button type="button" class="danger" onClick=${() => resolve({ action: 'abandon' })} disabled=${busy}>
      Abandon
    </button>
    ${failure}
  </div>`;
}
