import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { AbandonWorkitem } from './abandon.js';
import { api, path, query } from './api.js';
import { SchemaForm, drawable, errorsByField, initialValue } from './form.js';
import { may, useIdentity } from './identity.js';
import {
  ErrorState,
  actedElsewhere,
  errorText,
  Failures,
  JsonField,
  Time,
  href,
  html,
  notify,
  parseJson,
  useKeyVersion,
  useDialog,
  useLoad,
  useServiceNow,
} from './widgets.js';

/** Definitions never change once stored: each is fetched once per page. */
const workflows = new Map();
const caseWorkflows = new Map();

/** The `outputSchema` of the workitem's transition, or undefined when it has none. */
async function outputSchemaOf(workitem) {
  if (!caseWorkflows.has(workitem.caseId))
    caseWorkflows.set(
      workitem.caseId,
      api(path`cases/${workitem.caseId}`).then((c) => c.workflowId),
    );
  const workflowId = await caseWorkflows.get(workitem.caseId);
  if (!workflows.has(workflowId)) workflows.set(workflowId, api(path`workflows/${workflowId}`));
  const workflow = await workflows.get(workflowId);
  return workflow.transitions.find((t) => t.id === workitem.transitionId)?.outputSchema;
}

/** The output as a form drawn from the schema, or as JSON: one click switches between them. */
function OutputEditor({ workitem, schema, value, onValue, text, onText, asJson, setAsJson, errors }) {
  if (!asJson && schema && drawable(schema))
    return html`<${SchemaForm} schema=${schema} value=${value} onChange=${onValue} errors=${errors} />
      <p class="switch">
        <button type="button" class="link" onClick=${() => {
          onText(JSON.stringify(value ?? {}, null, 2));
          setAsJson(true);
        }}>Edit as JSON</button>
      </p>`;
  const parsed = parseJson(text);
  return html`<${JsonField}
      label=${`Output of ${workitem.transitionId} (JSON)`}
      value=${text}
      onInput=${onText}
      hint="Valid JSON: it becomes the workitem's output."
    />
    ${
      schema && drawable(schema)
        ? html`<p class="switch">
            <button
              type="button"
              class="link"
              disabled=${!parsed.ok}
              onClick=${() => {
                onValue(parsed.value);
                setAsJson(false);
              }}
            >
              Edit as a form
            </button>
          </p>`
        : null
    }`;
}

const BUSY = { complete: 'completing', abandon: 'abandoning', claim: 'claiming', release: 'releasing' };

/**
 * What a person may do with one open workitem: claim or release it, complete it (with a form drawn from its
 * transition's `outputSchema`, or JSON) or abandon it (confirmed first). Shows only what the caller's role
 * may do; `onDone` runs after any of them succeeds, with the action's name, and when someone else ended
 * the workitem first (the buttons then stay disabled).
 */
export function WorkitemActions({ workitem, onDone, onEditing }) {
  const identity = useIdentity();
  const [mode, setMode] = useState('idle');
  const [schema, setSchema] = useState({ status: 'idle' });
  const [value, setValue] = useState(undefined);
  const [text, setText] = useState('{}');
  const [asJson, setAsJson] = useState(false);
  const [error, setError] = useState(undefined);
  useEffect(() => onEditing?.(workitem.id, mode === 'editing' || mode === 'completing'), [mode]);
  const opener = useDialog(
    mode === 'editing' || mode === 'completing',
    () => mode === 'editing' && setMode('idle'),
  );
  if (!may(identity, 'work')) return null;
  const you = identity.status === 'ok' ? identity.user : undefined;
  const claimedBy = workitem.claimedBy ?? null;
  const form = schema.status === 'ok' && schema.value && drawable(schema.value) && !asJson;
  const parsed = form ? { ok: true, value } : parseJson(text);
  const busy = mode !== 'idle' && mode !== 'editing';

  const act = async (action, body) => {
    setMode(BUSY[action]);
    setError(undefined);
    try {
      await api(path`workitems/${workitem.id}/${action}`, { method: 'POST', body });
      const done = { complete: 'Completed', abandon: 'Abandoned', claim: 'Claimed', release: 'Released' };
      notify(`${done[action]} ${workitem.transitionId} of case ${workitem.caseId}.`);
      setMode('idle');
      onDone?.(action);
    } catch (failure) {
      setError({ failure, action });
      if (actedElsewhere(failure)) {
        setMode('gone');
        notify(errorText(failure, whatFailed[action]), 'error');
        onDone?.();
      } else setMode(action === 'complete' ? 'editing' : 'idle');
    }
  };
  const edit = async () => {
    setMode('editing');
    setError(undefined);
    if (schema.status === 'ok') return;
    setSchema({ status: 'loading' });
    try {
      const found = await outputSchemaOf(workitem);
      setSchema({ status: 'ok', value: found });
      if (found && drawable(found)) setValue(initialValue(found));
    } catch {
      // Without the definition the output is still typed as JSON.
      setSchema({ status: 'ok', value: undefined });
    }
  };
  const complete = (event) => {
    event.preventDefault();
    if (parsed.ok) void act('complete', { output: parsed.value ?? null });
  };
  const failed = error?.failure;
  const fieldErrors =
    failed?.code === 'validation_failed' && error.action === 'complete' ? errorsByField(failed.details) : {};
  const whatFailed = {
    complete: 'complete the workitem',
    abandon: 'abandon the workitem',
    claim: 'claim the workitem',
    release: 'release the workitem',
  };

  if (mode === 'editing' || mode === 'completing') {
    return html`<form class="complete" onSubmit=${complete} aria-label=${`Complete ${workitem.id}`} novalidate>
      ${
        schema.status === 'loading'
          ? html`<p class="state loading" role="status">Loading the form…</p>`
          : html`<${OutputEditor}
              workitem=${workitem}
              schema=${schema.value}
              value=${value}
              onValue=${setValue}
              text=${text}
              onText=${setText}
              asJson=${asJson}
              setAsJson=${setAsJson}
              errors=${fieldErrors}
            />`
      }
      ${failed ? html`<${ErrorState} error=${failed} what=${whatFailed[error.action]} />` : null}
      <div class="actions">
        <button
          type="submit"
          class="primary"
          disabled=${!parsed.ok || mode === 'completing' || schema.status === 'loading'}
        >
          ${mode === 'completing' ? 'Completing…' : 'Complete'}
        </button>
        <button type="button" onClick=${() => setMode('idle')} disabled=${mode === 'completing'}>Cancel</button>
      </div>
    </form>`;
  }
  const mine = claimedBy !== null && claimedBy === you;
  return html`<div class="actions">
    ${
      claimedBy === null
        ? html`<button type="button" onClick=${() => act('claim')} disabled=${busy}>
            ${mode === 'claiming' ? 'Claiming…' : 'Claim'}
          </button>`
        : html`<button type="button" onClick=${() => act('release')} disabled=${busy}>
            ${mode === 'releasing' ? 'Releasing…' : mine ? 'Release' : `Release ${claimedBy}’s claim`}
          </button>`
    }
    <button type="button" class="primary" ref=${opener} onClick=${edit} disabled=${busy}>Complete…</button>
    <${AbandonWorkitem} workitem=${workitem} onDone=${() => onDone?.('abandon')} disabled=${busy} />
    ${failed ? html`<${ErrorState} error=${failed} what=${whatFailed[error.action]} />` : null}
  </div>`;
}

/** A JSON value as a person reads it: fields as a list of names and values, nothing as "none". */
export function Fields({ value }) {
  if (value === null || value === undefined) return html`<span class="none">none</span>`;
  if (Array.isArray(value))
    return value.length === 0
      ? html`<span class="none">none</span>`
      : html`<ol class="fields-list">
          ${value.map((item) => html`<li><${Fields} value=${item} /></li>`)}
        </ol>`;
  if (typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return html`<span class="none">none</span>`;
    return html`<dl class="fields">
      ${entries.map(([name, item]) => html`<div><dt>${name}</dt><dd><${Fields} value=${item} /></dd></div>`)}
    </dl>`;
  }
  return html`<span>${String(value)}</span>`;
}

/**
 * A token's payload as the outputs it carries: a task's default payload maps each completed workitem's id
 * to its output, so those are shown under the transition that produced them.
 */
function Payload({ payload, workitems }) {
  const entries =
    payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? Object.entries(payload) : [];
  const byId = new Map(workitems.map((w) => [w.id, w]));
  if (entries.length === 0 || !entries.every(([id]) => byId.has(id)))
    return html`<${Fields} value=${payload} />`;
  return entries.map(
    ([id, output]) => html`<div class="output-of" data-from=${id}>
      <p class="from">From ${byId.get(id).transitionId} <code>${id}</code>:</p>
      <${Fields} value=${output} />
    </div>`,
  );
}

/** The case's data (its genesis token's payload) and what the workitem works on: its task's tokens. */
function WorkitemInput({ workitem }) {
  const [state] = useLoad(async () => {
    const [task, tokens, workitems] = await Promise.all([
      api(path`tasks/${workitem.taskId}`, { readModel: true }),
      api(path`cases/${workitem.caseId}/tokens`, { readModel: true }),
      api(`${path`cases/${workitem.caseId}/workitems`}${query({ limit: 500 })}`, { readModel: true }),
    ]);
    const ids = new Set(task.tokens.map((t) => t.tokenId));
    return {
      data: tokens.find((t) => t.producedByTaskId === 'genesis')?.payload ?? null,
      inputs: tokens.filter((t) => ids.has(t.id)),
      workitems: workitems.items,
    };
  }, [workitem.id]);
  if (state.status === 'error')
    return html`<p class="meta">Input: not available (${state.error.message})</p>`;
  if (state.data === undefined) return html`<p class="meta">Input: loading…</p>`;
  const { data, inputs, workitems } = state.data;
  return html`<div class="workitem-data">
    <section class="case-data" aria-label="Case data">
      <h3>Case data</h3>
      <${Fields} value=${data} />
    </section>
    <section class="input" aria-label="Input">
      <h3>Input</h3>
      ${inputs.map(
        (t) => html`<div class="token" data-token=${t.id}>
          <p class="meta">in ${t.placeId}</p>
          <${Payload} payload=${t.payload} workitems=${workitems} />
        </div>`,
      )}
    </section>
  </div>`;
}

const VIEWS = {
  mine: {
    label: 'My work',
    filter: { claimedBy: 'me' },
    empty: 'Nothing claimed by you: claim a workitem under “Available to me”.',
  },
  available: {
    label: 'Available to me',
    filter: { candidate: 'me' },
    empty: 'Nothing to do: no manual workitem is waiting.',
  },
  all: {
    label: 'Everything',
    filter: {},
    empty: 'Nothing to do: no manual workitem is waiting.',
  },
};

const viewsFor = (identity) => {
  if (identity.status === 'ok' && identity.role === 'reader') return ['all'];
  if (identity.status === 'ok' && identity.role === 'worker') return ['mine', 'available'];
  return ['mine', 'available', 'all'];
};

const PAGE = 100;

/** How often the list is read again, in ms; a page may set `wfnet.worklistRefreshMs` (tests do). */
const refreshEvery = () => Number(localStorage.getItem('wfnet.worklistRefreshMs')) || 3000;

/**
 * The worklist's pages: a refresh reads each loaded page again from its own cursor and merges them, so
 * pages loaded with "Load more" stay, and cards keep their state (an open form and its text) because they
 * keep their keys. A card whose form is open stays even when its workitem has left the list.
 */
function useWorklist(filter, keep) {
  const [state, setState] = useState({ status: 'loading', pages: [], error: undefined, busy: false });
  const pages = useRef([]);
  const generation = useRef(0);
  const keyVersion = useKeyVersion();
  const load = (after) =>
    api(`workitems${query({ ...filter, state: 'started', executor: 'manual', limit: PAGE, after })}`, {
      readModel: true,
    });

  const refresh = useCallback(async () => {
    const ticket = generation.current;
    const afters = pages.current.length ? pages.current.map((p) => p.after) : [undefined];
    try {
      const fresh = await Promise.all(
        afters.map((after) => load(after).then((page) => ({ after, ...page }))),
      );
      if (ticket !== generation.current) return;
      // Pages loaded while this refresh was under way stay.
      const byAfter = new Map(fresh.map((page) => [page.after, page]));
      pages.current = pages.current.length
        ? pages.current.map((page) => byAfter.get(page.after) ?? page)
        : fresh;
      setState((s) => ({ ...s, status: 'ok', pages: pages.current, error: undefined }));
    } catch (error) {
      if (ticket === generation.current) setState((s) => ({ ...s, status: 'error', error }));
    }
  }, [JSON.stringify(filter)]);

  useEffect(() => {
    generation.current += 1;
    pages.current = [];
    setState({ status: 'loading', pages: [], error: undefined, busy: false });
    void refresh();
    const timer = setInterval(() => document.visibilityState === 'visible' && refresh(), refreshEvery());
    return () => clearInterval(timer);
  }, [refresh, keyVersion]);

  const more = async () => {
    const last = pages.current.at(-1);
    if (!last?.next) return;
    const ticket = generation.current;
    setState((s) => ({ ...s, busy: true }));
    try {
      const page = { after: last.next, ...(await load(last.next)) };
      if (ticket !== generation.current) return;
      pages.current = [...pages.current, page];
      setState((s) => ({ ...s, pages: pages.current, busy: false }));
    } catch (error) {
      setState((s) => ({ ...s, busy: false }));
      notify(`Could not load more: ${error.message}`, 'error');
    }
  };

  const seen = new Set();
  const items = [];
  for (const page of state.pages)
    for (const item of page.items) if (!seen.has(item.id) && seen.add(item.id)) items.push(item);
  // Cards with an open form are kept where they were, marked as gone.
  const kept = keep.current;
  for (const [id, workitem] of kept) if (!seen.has(id)) items.push({ ...workitem, gone: true });
  return { ...state, items, next: state.pages.at(-1)?.next ?? null, refresh, more };
}

function Assignment({ workitem, you }) {
  const parts = [];
  if (workitem.assignee)
    parts.push(html`assigned to <strong>${workitem.assignee === you ? 'you' : workitem.assignee}</strong>`);
  if (workitem.candidateGroups?.length) parts.push(html`for ${workitem.candidateGroups.join(', ')}`);
  if (workitem.candidateUsers?.length) parts.push(html`for ${workitem.candidateUsers.join(', ')}`);
  const claim =
    workitem.claimedBy == null
      ? null
      : html`<span class="claim">claimed by <strong>${workitem.claimedBy === you ? 'you' : workitem.claimedBy}</strong></span>`;
  if (parts.length === 0 && claim === null) return null;
  return html`<p class="meta assignment">
    ${parts.map((part, i) => html`${i ? ' · ' : ''}${part}`)}${parts.length && claim ? ' · ' : ''}${claim}
  </p>`;
}

export function WorklistPage({ params }) {
  const identity = useIdentity();
  const views = viewsFor(identity);
  const asked = params?.get('view');
  const view = views.includes(asked) ? asked : views.includes('available') ? 'available' : views[0];
  const editing = useRef(new Map());
  const list = useWorklist(VIEWS[view].filter, editing);
  const heading = useRef(null);
  const now = useServiceNow([list.pages]);
  const you = identity.status === 'ok' ? identity.user : undefined;

  const onEditing = (workitem) => (id, open) => {
    if (open) editing.current.set(id, workitem);
    else editing.current.delete(id);
  };
  const onDone = (workitem) => (action) => {
    if (action === 'complete' || action === 'abandon') {
      editing.current.delete(workitem.id);
      // Focus goes to the next card (else the one before, else the heading), not to the page's body.
      const item = document.querySelector(`[data-workitem="${CSS.escape(workitem.id)}"]`)?.closest('li');
      const next = item?.nextElementSibling ?? item?.previousElementSibling;
      (next?.querySelector('h2') ?? heading.current)?.focus();
    }
    void list.refresh();
  };

  return html`<section aria-labelledby="page-title">
    <h1 id="page-title" tabindex="-1" ref=${heading}>Worklist</h1>
    <div class="toolbar">
      <p class="lead">Manual workitems waiting for someone. Refreshed every few seconds; your open forms stay.</p>
      <button type="button" onClick=${list.refresh}>Refresh</button>
    </div>
    ${
      identity.status === 'ok' && identity.role === 'reader'
        ? html`<p class="meta">Your role (reader) may look at the work but not do it.</p>`
        : null
    }
    <nav class="tabs" aria-label="Worklist views">
      <ul>
        ${views.map(
          (name) => html`<li>
            <a href=${`${href.worklist()}?view=${name}`} aria-current=${name === view ? 'page' : undefined}>
              ${VIEWS[name].label}
            </a>
          </li>`,
        )}
      </ul>
    </nav>
    ${
      list.status === 'error' && list.items.length === 0
        ? html`<${ErrorState} error=${list.error} retry=${list.refresh} what="load the worklist" />`
        : list.status === 'loading' && list.items.length === 0
          ? html`<p class="state loading" role="status">Loading the worklist…</p>`
          : list.items.length === 0
            ? html`<div class="state empty"><p>${VIEWS[view].empty}</p></div>`
            : html`<ul class="cards worklist" aria-label=${VIEWS[view].label} data-view=${view}>
                  ${list.items.map(
                    (workitem) =>
                      html`<li key=${workitem.id}>
                        <article
                          class="card workitem"
                          data-workitem=${workitem.id}
                          data-transition=${workitem.transitionId}
                          aria-labelledby=${`title-${workitem.id}`}
                        >
                          <header class="card-head">
                            <h2 id=${`title-${workitem.id}`} tabindex="-1">${workitem.transitionId}</h2>
                            <span class="meta"
                              >of case <a href=${href.case(workitem.caseId)}>${workitem.caseId}</a></span
                            >
                          </header>
                          <p class="meta">
                            <code>${workitem.id}</code> · waiting since <${Time} iso=${workitem.createdAt} />
                          </p>
                          <${Assignment} workitem=${workitem} you=${you} />
                          ${
                            workitem.gone
                              ? html`<p class="state gone">
                                  This workitem has left this list (someone may have completed or claimed it).
                                </p>`
                              : null
                          }
                          <${WorkitemInput} workitem=${workitem} />
                          <${Failures} workitem=${workitem} now=${now} />
                          <${WorkitemActions}
                            workitem=${workitem}
                            onDone=${onDone(workitem)}
                            onEditing=${onEditing(workitem)}
                          />
                        </article>
                      </li>`,
                  )}
                </ul>
                ${
                  list.next
                    ? html`<p class="more">
                        <button type="button" onClick=${list.more} disabled=${list.busy}>
                          ${list.busy ? 'Loading…' : 'Load more'}
                        </button>
                      </p>`
                    : null
                }`
    }
  </section>`;
}
