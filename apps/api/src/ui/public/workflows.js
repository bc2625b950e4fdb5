import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, path, query, svg } from './api.js';
import { may, useIdentity } from './identity.js';
import {
  Badge,
  Diagram,
  ErrorState,
  JsonField,
  Load,
  LoadMore,
  NetView,
  Time,
  href,
  html,
  notify,
  parseJson,
  useDialog,
  useLoad,
  useMedia,
  usePaged,
} from './widgets.js';

const ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export function WorkflowsPage() {
  const list = usePaged((after) => api(`workflows${query({ limit: 50, after })}`, { readModel: true }), []);
  return html`<section aria-labelledby="page-title">
    <h1 id="page-title" tabindex="-1">Workflows</h1>
    <p class="lead">The workflow nets this service runs. Open one to see its diagram and start a case.</p>
    <p><a class="button primary" href=${href.define()}>Define a workflow</a></p>
    <${Load}
      state=${list.state}
      retry=${list.reload}
      what="the workflows"
      isEmpty=${(items) => items.length === 0}
      empty=${html`<p>No workflows yet: define the first one above, from JSON or PNML, or with
          <code>POST /workflows</code> (see the <a href="docs">API documentation</a>).</p>`}
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
        html`<div class="case-head">
            <p class="meta">
              <code>${workflow.id}</code>${' · '}<${Badge} value=${workflow.state} />${' · '}<a href=${href.cases({ workflowId: workflow.id })}>its cases</a>
            </p>
            ${workflow.state === 'active' ? html`<${Discard} id=${workflow.id} onDone=${reload} />` : null}
          </div>
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

/** Discarding asks once more: no new case can start after, and it cannot be undone. */
function Discard({ id, onDone }) {
  const [step, setStep] = useState('idle');
  const [error, setError] = useState(undefined);
  const confirm = useRef(null);
  const opener = useDialog(step !== 'idle', () => step === 'confirm' && setStep('idle'));
  useEffect(() => {
    if (step === 'confirm') confirm.current?.focus();
  }, [step]);
  const discard = async () => {
    setStep('busy');
    try {
      await api(path`workflows/${id}/discard`, { method: 'POST' });
      notify(`Workflow ${id} discarded.`);
      setStep('idle');
      onDone();
    } catch (failure) {
      setError(failure);
      setStep('confirm');
    }
  };
  return html`<div class="discard">
    <button
      type="button"
      class="danger"
      ref=${opener}
      aria-expanded=${step === 'idle' ? 'false' : 'true'}
      onClick=${() => setStep(step === 'idle' ? 'confirm' : 'idle')}
    >
      Discard…
    </button>
    ${
      step === 'idle'
        ? null
        : html`<div class="confirm" role="group" aria-label="Confirm discarding">
            <p>Discard workflow ${id}? No new case can start; its running cases go on. This cannot be undone.</p>
            ${error ? html`<${ErrorState} error=${error} what="discard the workflow" />` : null}
            <button type="button" class="danger" ref=${confirm} onClick=${discard} disabled=${step === 'busy'}>
              ${step === 'busy' ? 'Discarding…' : 'Discard'}
            </button>
            <button type="button" onClick=${() => setStep('idle')} disabled=${step === 'busy'}>Cancel</button>
          </div>`
    }
  </div>`;
}

/** PNML is XML (it starts with `<`); anything else is taken for JSON. */
function readDefinition(text) {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, format: 'none', message: 'Paste a definition or open a file.' };
  if (trimmed.startsWith('<')) return { ok: true, format: 'PNML', request: { xml: trimmed } };
  const parsed = parseJson(trimmed);
  if (!parsed.ok) return { ok: false, format: 'JSON', message: `Not valid JSON: ${parsed.message}` };
  if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value))
    return { ok: false, format: 'JSON', message: 'A definition is a JSON object.' };
  return { ok: true, format: 'JSON', request: { body: parsed.value } };
}

const VERDICT = {
  true: 'Sound: every run can finish, and finishes with one token in end; no transition is dead.',
  false: 'Not sound.',
  undecided: 'Undecided: the state budget ran out before soundness could be proven.',
};

/** The problems of a report that a firing sequence shows, each as what the player needs. */
function counterexamples(report) {
  return [
    ...report.deadlocks.map((c, i) => ({
      key: `deadlock-${i}`,
      kind: 'deadlock',
      title: 'Deadlock',
      firings: c.firingSequence,
      end: 'Deadlock: nothing is enabled, and end has no token.',
    })),
    ...report.improperCompletions.map((c, i) => ({
      key: `improper-${i}`,
      kind: 'improper',
      title: 'Improper completion',
      firings: c.firingSequence,
      end: 'Improper completion: end has a token, but it is not the only token left.',
    })),
    ...(report.livelocks ?? []).map((c, i) => ({
      key: `livelock-${i}`,
      kind: 'livelock',
      title: 'Livelock',
      firings: c.firingSequence,
      end: 'Livelock: from here the case can only go round a cycle that never reaches end.',
    })),
    ...report.unboundedPlaces.map((u, i) => ({
      key: `unbounded-${i}`,
      kind: 'unbounded',
      title: `Unbounded place ${u.place}`,
      // The pumping sequence twice: once to see it add a token, once more to see it can go on.
      firings: [...u.firingSequence, ...u.pumpingSequence, ...u.pumpingSequence],
      pumpFrom: u.firingSequence.length,
      place: u.place,
      end: `Unbounded: each round of the pumping sequence adds a token to ${u.place}, and it can fire again and again.`,
    })),
  ];
}

/** The structure the picture of a net carries in its data attributes: enough to fire its transitions. */
function netOfPicture(picture) {
  const places = new Map(
    [...picture.querySelectorAll('[data-place]')].map((g) => [g.dataset.place, g.dataset.placeType]),
  );
  const transitions = new Map(
    [...picture.querySelectorAll('[data-transition]')].map((g) => [g.dataset.transition, g.dataset.join]),
  );
  const inputs = new Map([...transitions.keys()].map((t) => [t, []]));
  const outputs = new Map([...transitions.keys()].map((t) => [t, []]));
  for (const arc of picture.querySelectorAll('[data-arc]')) {
    const text = arc.dataset.arc;
    // Ids may hold `-`, never `>`: split where both ends name nodes of the net.
    for (let at = text.indexOf('->'); at >= 0; at = text.indexOf('->', at + 1)) {
      const [from, to] = [text.slice(0, at), text.slice(at + 2)];
      if (places.has(from) && transitions.has(to)) inputs.get(to).push(from);
      else if (transitions.has(from) && places.has(to)) outputs.get(from).push(to);
      else continue;
      break;
    }
  }
  const start = [...places].find(([, type]) => type === 'start')?.[0];
  return { places, transitions, inputs, outputs, start };
}

/**
 * One firing of a counterexample, named as the verifier names it: `t`, `t#p` (a decision that marked p),
 * `t#p+t#q` (an or split that marked both), `j#a+j#b` (an or join that took the branches ending in a and b).
 */
function fire(net, marking, firing) {
  const parts = firing.split('+');
  const transition = parts[0].split('#')[0];
  const named = parts.filter((part) => part.includes('#')).map((part) => part.slice(part.indexOf('#') + 1));
  const inputs = net.inputs.get(transition) ?? [];
  const outputs = net.outputs.get(transition) ?? [];
  const taken = named.filter((place) => inputs.includes(place));
  const marked = named.filter((place) => outputs.includes(place) && !taken.includes(place));
  const consumes = taken.length > 0 ? taken : inputs;
  const produces = marked.length > 0 ? marked : outputs;
  const next = { ...marking };
  for (const place of consumes) next[place] = (next[place] ?? 0) - 1;
  for (const place of produces) next[place] = (next[place] ?? 0) + 1;
  return { transition, consumes, produces, marking: next };
}

function replay(net, firings) {
  const steps = [{ marking: net.start ? { [net.start]: 1 } : {} }];
  for (const firing of firings) steps.push({ firing, ...fire(net, steps[steps.length - 1].marking, firing) });
  return steps;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Draws one step of a run on the net's picture: its tokens, the transition that fired and its arcs. */
function drawStep(picture, step, pumped) {
  for (const old of picture.querySelectorAll('.play-token')) old.remove();
  for (const old of picture.querySelectorAll('.fired, .pumped')) old.classList.remove('fired', 'pumped');
  for (const g of picture.querySelectorAll('[data-place]')) {
    const count = step.marking[g.dataset.place] ?? 0;
    g.dataset.tokens = String(count);
    if (count <= 0) continue;
    const ring = g.querySelector('circle.ring');
    const [x, y] = [Number(ring.getAttribute('cx')), Number(ring.getAttribute('cy'))];
    const fresh = step.produces?.includes(g.dataset.place) === true;
    if (count > 4) {
      const text = document.createElementNS(SVG_NS, 'text');
      text.setAttribute('class', `small play-token${fresh ? ' fresh' : ''}`);
      text.setAttribute('x', String(x));
      text.setAttribute('y', String(y + 4));
      text.setAttribute('text-anchor', 'middle');
      text.textContent = `${count}●`;
      g.append(text);
      continue;
    }
    const offsets = [
      [[0, 0]],
      [
        [-6, 0],
        [6, 0],
      ],
      [
        [-6, 4],
        [6, 4],
        [0, -6],
      ],
      [
        [-6, -6],
        [6, -6],
        [-6, 6],
        [6, 6],
      ],
    ][count - 1];
    for (const [dx, dy] of offsets) {
      const dot = document.createElementNS(SVG_NS, 'circle');
      dot.setAttribute('class', `token token-free play-token${fresh ? ' fresh' : ''}`);
      dot.setAttribute('cx', String(x + dx));
      dot.setAttribute('cy', String(y + dy));
      dot.setAttribute('r', '4.5');
      g.append(dot);
    }
  }
  if (step.transition) {
    picture.querySelector(`[data-transition="${CSS.escape(step.transition)}"]`)?.classList.add('fired');
    for (const place of step.consumes)
      picture
        .querySelector(`[data-arc="${CSS.escape(`${place}->${step.transition}`)}"]`)
        ?.classList.add('fired');
    for (const place of step.produces)
      picture
        .querySelector(`[data-arc="${CSS.escape(`${step.transition}->${place}`)}"]`)
        ?.classList.add('fired');
  }
  if (pumped) picture.querySelector(`[data-place="${CSS.escape(pumped)}"]`)?.classList.add('pumped');
}

const PLAY_EVERY_MS = 800;

/**
 * A counterexample played on the net as time travel plays a case: each step fires one transition of its
 * firing sequence, from one token in start up to the problem.
 */
function Player({ problem, steps, step, setStep }) {
  const [playing, setPlaying] = useState(false);
  const last = steps.length - 1;
  useEffect(() => {
    if (!playing) return undefined;
    if (step >= last) {
      setPlaying(false);
      return undefined;
    }
    const timer = setTimeout(() => setStep(step + 1), PLAY_EVERY_MS);
    return () => clearTimeout(timer);
  }, [playing, step, last]);
  const current = steps[step];
  const caption =
    step === 0
      ? 'The case starts: one token in start.'
      : `Step ${step} of ${last}: ${current.transition} fired` +
        (problem.pumpFrom !== undefined && step > problem.pumpFrom ? ' (pumping)' : '') +
        '.';
  return html`<div class="player" role="group" aria-label=${`Play: ${problem.title}`}>
    <div class="player-controls">
      <button type="button" onClick=${() => setStep(0)} disabled=${step === 0}>First</button>
      <button type="button" onClick=${() => setStep(step - 1)} disabled=${step === 0}>◀ Previous</button>
      <button type="button" onClick=${() => (step >= last ? (setStep(0), setPlaying(true)) : setPlaying(!playing))}>
        ${playing ? 'Pause' : 'Play ▶'}
      </button>
      <button type="button" onClick=${() => setStep(step + 1)} disabled=${step >= last}>Next ▶</button>
    </div>
    <p class="player-caption" role="status">
      ${caption} ${step === last ? html`<strong>${problem.end}</strong>` : null}
    </p>
    <ol class="firings">
      <li><button type="button" class="link" aria-current=${step === 0 ? 'step' : undefined} onClick=${() => setStep(0)}>start</button></li>
      ${problem.firings.map(
        (firing, i) =>
          html`<li key=${i} class=${problem.pumpFrom !== undefined && i >= problem.pumpFrom ? 'pumping' : ''}>
            <button type="button" class="link" aria-current=${step === i + 1 ? 'step' : undefined} onClick=${() => setStep(i + 1)}>
              <code>${firing}</code>
            </button>
          </li>`,
      )}
    </ol>
  </div>`;
}

function Report({ report, onPlay, playing }) {
  const problems = counterexamples(report);
  const sound = String(report.sound);
  return html`<section class=${`panel report report-${sound}`} aria-labelledby="report-title">
    <h2 id="report-title">Verification</h2>
    <p class="verdict" data-sound=${sound}><strong>${VERDICT[sound]}</strong>${
      report.timedOut ? ' (the verification ran out of time)' : ''
    }</p>
    ${
      problems.length > 0
        ? html`<ul class="problems">
            ${problems.map(
              (problem) =>
                html`<li key=${problem.key} data-problem=${problem.kind}>
                  <span>${problem.title}: <code>${problem.firings.length === 0 ? 'at once' : problem.firings.join(' → ')}</code></span>
                  <button
                    type="button"
                    aria-pressed=${playing === problem.key ? 'true' : 'false'}
                    onClick=${() => onPlay(problem)}
                  >
                    Play on the diagram
                  </button>
                </li>`,
            )}
          </ul>`
        : null
    }
    ${
      report.deadTransitions.length > 0
        ? html`<p>Dead transitions (no run enables them): ${report.deadTransitions.map((t) => html`<code key=${t}>${t}</code> `)}</p>`
        : null
    }
    ${
      (report.warnings ?? []).length > 0
        ? html`<ul class="warnings">
            ${report.warnings.map((w, i) => html`<li key=${i}>Warning: ${w.message ?? JSON.stringify(w)}</li>`)}
          </ul>`
        : null
    }
  </section>`;
}

/** Where the service refused a definition: its message, code and each detail's path. */
function Refusal({ error, what }) {
  const details = Array.isArray(error.details) ? error.details : [];
  return html`<div>
    <${ErrorState} error=${error} what=${what} />
    ${
      details.length > 0
        ? html`<ul class="details">
            ${details.map(
              (d, i) =>
                html`<li key=${i}>${d.path ? html`<code>${d.path}</code>: ` : null}${d.message ?? JSON.stringify(d)}</li>`,
            )}
          </ul>`
        : null
    }
  </div>`;
}

/**
 * Define a workflow from JSON or PNML, pasted or opened from a file: verified first, its report shown
 * with the net drawn, and each counterexample of an unsound net played on the drawing.
 */
export function DefinePage() {
  const [text, setText] = useState('');
  const [checked, setChecked] = useState(undefined);
  const [busy, setBusy] = useState('');
  const [error, setError] = useState(undefined);
  const [allowUnsound, setAllowUnsound] = useState(false);
  const [problem, setProblem] = useState(undefined);
  const [step, setStep] = useState(0);
  const [steps, setSteps] = useState([]);
  const narrow = useMedia('(max-width: 40rem)');
  const definition = readDefinition(text);
  const current = checked !== undefined && checked.text === text;

  const edit = (value) => {
    setText(value);
    setError(undefined);
  };
  const open = async (event) => {
    const file = event.currentTarget.files?.[0];
    if (file) edit(await file.text());
  };
  const verify = async (event) => {
    event.preventDefault();
    if (!definition.ok) return;
    setBusy('verify');
    setError(undefined);
    setProblem(undefined);
    try {
      const direction = narrow ? '?direction=down' : '';
      const [report, picture] = await Promise.all([
        api('workflows/verify', { method: 'POST', ...definition.request }),
        svg(`workflows/diagram.svg${direction}`, { method: 'POST', ...definition.request }),
      ]);
      setChecked({ text, report, picture });
      setAllowUnsound(false);
    } catch (failure) {
      setChecked(undefined);
      setError({ failure, what: 'verify the definition' });
    } finally {
      setBusy('');
    }
  };
  const save = async () => {
    if (!definition.ok || !current) return;
    setBusy('save');
    setError(undefined);
    const unsound = checked.report.sound !== true;
    const request =
      definition.format === 'JSON'
        ? { body: unsound ? { ...definition.request.body, allowUnsound: true } : definition.request.body }
        : definition.request;
    try {
      const created = await api(`workflows${unsound && request.xml ? '?allowUnsound=true' : ''}`, {
        method: 'POST',
        ...request,
      });
      notify(`Workflow ${created.id} defined.`);
      location.hash = href.workflow(created.id);
    } catch (failure) {
      setError({ failure, what: 'save the workflow' });
      setBusy('');
    }
  };
  const play = (chosen) => {
    const picture = document.querySelector('.define .diagram-picture svg');
    if (!picture) return;
    setSteps(replay(netOfPicture(picture), chosen.firings));
    setProblem(chosen);
    setStep(0);
  };
  const decorate = useCallback(
    (picture) => {
      if (problem && steps[step])
        drawStep(picture, steps[step], step === steps.length - 1 ? problem.place : undefined);
      else drawStep(picture, { marking: {} });
    },
    [problem, steps, step],
  );
  const soundEnough = current && (checked.report.sound === true || allowUnsound);

  return html`<section class="define" aria-labelledby="page-title">
    <p class="crumbs"><a href=${href.workflows()}>Workflows</a> /</p>
    <h1 id="page-title" tabindex="-1">Define a workflow</h1>
    <p class="lead">
      Paste a workflow net as JSON or PNML, or open a file. It is verified before it is saved: an unsound
      net shows how it goes wrong, step by step on its diagram.
    </p>
    <form class="panel" onSubmit=${verify} aria-labelledby="definition-title">
      <h2 id="definition-title">Definition</h2>
      <div class="field">
        <label for="definition-file">Open a file (.json, .pnml)</label>
        <input id="definition-file" type="file" accept=".json,.pnml,.xml,application/json,application/xml" onChange=${open} />
      </div>
      <div class="field">
        <label for="definition-text">Definition: JSON or PNML</label>
        <textarea
          id="definition-text"
          class="json"
          rows="14"
          spellcheck="false"
          aria-invalid=${definition.ok || definition.format === 'none' ? 'false' : 'true'}
          aria-describedby="definition-help"
          value=${text}
          onInput=${(e) => edit(e.currentTarget.value)}
        ></textarea>
        <p id="definition-help" class=${definition.ok || definition.format === 'none' ? 'help' : 'help invalid'} aria-live="polite">
          ${definition.ok ? `${definition.format}: ready to verify.` : definition.message}
        </p>
      </div>
      <div class="actions">
        <button type="submit" class="primary" disabled=${!definition.ok || busy !== ''}>
          ${busy === 'verify' ? 'Verifying…' : 'Verify'}
        </button>
        <button type="button" onClick=${save} disabled=${!soundEnough || busy !== ''}>
          ${busy === 'save' ? 'Saving…' : 'Save workflow'}
        </button>
      </div>
      ${
        current && checked.report.sound !== true
          ? html`<div class="field check">
              <input id="allow-unsound" type="checkbox" checked=${allowUnsound} onChange=${(e) => setAllowUnsound(e.currentTarget.checked)} />
              <label for="allow-unsound">Save it although it is not proven sound</label>
            </div>`
          : null
      }
      ${!current && checked ? html`<p class="help">The definition changed since it was verified: verify it again to save it.</p>` : null}
    </form>
    ${error ? html`<${Refusal} error=${error.failure} what=${error.what} />` : null}
    ${
      checked
        ? html`<${Report} report=${checked.report} onPlay=${play} playing=${problem?.key} />
            ${problem ? html`<${Player} problem=${problem} steps=${steps} step=${step} setStep=${setStep} />` : null}
            <${NetView} svg=${checked.picture} label="The net as defined (not saved yet)" decorate=${decorate} />`
        : null
    }
  </section>`;
}
