import { useState } from 'preact/hooks';
import { api, path, query } from './api.js';
import { may, useIdentity } from './identity.js';
import {
  Badge,
  Diagram,
  ErrorState,
  JsonField,
  Load,
  LoadMore,
  Time,
  href,
  html,
  notify,
  parseJson,
  useLoad,
  usePaged,
} from './widgets.js';

const ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export function WorkflowsPage() {
  const list = usePaged((after) => api(`workflows${query({ limit: 50, after })}`, { readModel: true }), []);
  return html`<section aria-labelledby="page-title">
    <h1 id="page-title" tabindex="-1">Workflows</h1>
    <p class="lead">The workflow nets this service runs. Open one to see its diagram and start a case.</p>
    <${Load}
      state=${list.state}
      retry=${list.reload}
      what="the workflows"
      isEmpty=${(items) => items.length === 0}
      empty=${html`<p>No workflows yet.</p>
        <p>Define one with <code>POST /workflows</code> — see the <a href="docs">API documentation</a>.</p>`}
    >
      ${(items) =>
        html`<ul class="cards" aria-label="Workflows">
            ${items.map((workflow) => html`<li key=${workflow.id}><${WorkflowCard} workflow=${workflow} /></li>`)}
          </ul>
          <${LoadMore} next=${list.next} onMore=${list.more} busy=${list.busy} />`}
    <//>
  </section>`;
}

function WorkflowCard({ workflow }) {
  const [open, setOpen] = useState(false);
  const identity = useIdentity();
  return html`<article class="card workflow" data-workflow=${workflow.id}>
    <header class="card-head">
      <h2><a href=${href.workflow(workflow.id)}>${workflow.name || workflow.id}</a></h2>
      <${Badge} value=${workflow.state} />
    </header>
    <p class="meta">
      <code>${workflow.id}</code>${` · ${workflow.places.length} places · ${workflow.transitions.length} transitions · defined `}<${Time} iso=${workflow.createdAt} />
    </p>
    <div class="actions">
      <button type="button" aria-expanded=${open ? 'true' : 'false'} onClick=${() => setOpen(!open)}>
        ${open ? 'Hide diagram' : 'Show diagram'}
      </button>
      ${may(identity, 'work') ? html`<a class="button" href=${href.workflow(workflow.id)}>Start a case…</a>` : null}
      <a class="button" href=${href.cases({ workflowId: workflow.id })}>Its cases</a>
    </div>
    ${
      open
        ? html`<${Diagram}
            url=${path`workflows/${workflow.id}/diagram.svg`}
            label=${`The net of ${workflow.id}`}
          />`
        : null
    }
  </article>`;
}

export function WorkflowPage({ id }) {
  const [state, reload] = useLoad(() => api(path`workflows/${id}`, { readModel: true }), [id]);
  return html`<section aria-labelledby="page-title">
    <p class="crumbs"><a href=${href.workflows()}>Workflows</a> /</p>
    <h1 id="page-title" tabindex="-1">${state.data?.name || id}</h1>
    <${Load} state=${state} retry=${reload} what=${`workflow ${id}`}>
      ${(workflow) =>
        html`<p class="meta">
            <code>${workflow.id}</code>${' · '}<${Badge} value=${workflow.state} />${' · '}<a href=${href.cases({ workflowId: workflow.id })}>its cases</a>
          </p>
          <${Diagram}
            url=${path`workflows/${workflow.id}/diagram.svg`}
            label=${`The net of ${workflow.id}`}
          />
          ${
            workflow.state === 'active'
              ? html`<${StartCase} workflowId=${workflow.id} />`
              : html`<p class="state empty">This workflow is discarded: no new cases.</p>`
          }
          <details class="definition">
            <summary>Definition (JSON)</summary>
            <pre>${JSON.stringify(workflow, null, 2)}</pre>
          </details>`}
    <//>
  </section>`;
}

function StartCase({ workflowId }) {
  const [data, setData] = useState('{}');
  const [caseId, setCaseId] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(undefined);
  const identity = useIdentity();
  const parsed = parseJson(data);
  const idOk = caseId === '' || ID.test(caseId);
  const start = async (event) => {
    event.preventDefault();
    if (!parsed.ok || !idOk) return;
    setBusy(true);
    setError(undefined);
    try {
      const created = await api('cases', {
        method: 'POST',
        body: { workflowId, data: parsed.value, ...(caseId ? { id: caseId } : {}) },
      });
      notify(`Case ${created.id} started.`);
      location.hash = href.case(created.id);
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };
  if (!may(identity, 'work')) return null;
  return html`<form class="panel" onSubmit=${start} aria-labelledby="start-title">
    <h2 id="start-title">Start a case</h2>
    <div class="field">
      <label for="case-id">Case id <span class="optional">(optional: a UUID is made)</span></label>
      <input
        id="case-id"
        value=${caseId}
        autocomplete="off"
        aria-invalid=${idOk ? 'false' : 'true'}
        aria-describedby="case-id-help"
        onInput=${(e) => setCaseId(e.currentTarget.value.trim())}
      />
      <p id="case-id-help" class=${idOk ? 'help' : 'help invalid'}>
        ${idOk ? 'Letters, digits and _ . : - ; up to 128.' : 'Not a valid id.'}
      </p>
    </div>
    <${JsonField}
      label="Data (JSON): the payload of the genesis token"
      value=${data}
      onInput=${setData}
      rows=${3}
    />
    ${error ? html`<${ErrorState} error=${error} what="start the case" />` : null}
    <button type="submit" class="primary" disabled=${busy || !parsed.ok || !idOk}>
      ${busy ? 'Starting…' : 'Start case'}
    </button>
  </form>`;
}
