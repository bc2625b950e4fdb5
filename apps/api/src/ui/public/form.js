// A form drawn from a transition's `outputSchema` (JSON Schema 2020-12): the fields a person fills in instead
// of typing JSON. The service validates the output (Ajv); this form only shapes it and shows the service's
// messages at their fields. Each field is addressed by its JSON Pointer within the output (`/lines/0/sku`).
import { useId, useState } from 'preact/hooks';
import { html } from './widgets.js';

const typeOf = (schema) => (Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type);

/** The value a fresh form starts from: the schema's defaults, unchecked boxes, no rows. */
export function initialValue(schema) {
  if (schema.default !== undefined) return schema.default;
  switch (typeOf(schema)) {
    case 'object':
      return Object.fromEntries(
        Object.entries(schema.properties ?? {})
          .map(([name, property]) => [name, initialValue(property)])
          .filter(([, value]) => value !== undefined),
      );
    case 'array':
      return [];
    case 'boolean':
      return false;
    default:
      return undefined;
  }
}

/** Whether the form can draw this schema; anything else is edited as JSON. */
export function drawable(schema) {
  return typeof schema === 'object' && schema !== null && typeOf(schema) === 'object' && !!schema.properties;
}

const unescape = (token) => token.replace(/~1/g, '/').replace(/~0/g, '~');
const escape = (name) => String(name).replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * The service's `validation_failed` details by field: `/output/amount` → `/amount`. A missing required
 * property is reported at its parent (`must have required property 'item'`), so it goes to the property.
 */
export function errorsByField(details = []) {
  const byField = {};
  for (const { path = '', message } of details) {
    let pointer = path.replace(/^\/output(?=\/|$)/, '');
    const missing = /required property '([^']+)'/.exec(message ?? '');
    if (missing) pointer = `${pointer}/${escape(missing[1])}`;
    (byField[pointer] ??= []).push(message);
  }
  return byField;
}

const withValue = (container, key, value) => {
  if (Array.isArray(container)) return container.map((item, i) => (i === key ? value : item));
  const next = { ...(container ?? {}) };
  if (value === undefined) delete next[key];
  else next[key] = value;
  return next;
};

const labelOf = (schema, name) => schema.title ?? String(name);

/** The output as a form. `errors` maps a field's pointer to the service's messages about it. */
export function SchemaForm({ schema, value, onChange, errors = {} }) {
  const prefix = useId();
  const unplaced = Object.entries(errors).filter(([pointer]) => !placed(schema, pointer));
  return html`<div class="schema-form">
    ${schema.description ? html`<p class="help">${schema.description}</p>` : null}
    ${
      unplaced.length
        ? html`<ul class="field-errors">
            ${unplaced.map(([pointer, messages]) => html`<li>${pointer || 'output'}: ${messages.join('; ')}</li>`)}
          </ul>`
        : null
    }
    <${Properties} schema=${schema} value=${value} onChange=${onChange} pointer="" prefix=${prefix} errors=${errors} />
  </div>`;
}

/** Whether a field of the form shows the errors at this pointer. */
function placed(schema, pointer) {
  let at = schema;
  for (const token of pointer.split('/').slice(1).map(unescape)) {
    const type = typeOf(at);
    if (type === 'object' && at.properties?.[token]) at = at.properties[token];
    else if (type === 'array' && /^[0-9]+$/.test(token) && at.items) at = at.items;
    else return false;
  }
  return pointer !== '' && typeOf(at) !== 'object';
}

function Properties({ schema, value, onChange, pointer, prefix, errors }) {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(
    ([name, property]) =>
      html`<${Field}
        key=${name}
        schema=${property}
        name=${labelOf(property, name)}
        required=${required.has(name)}
        value=${value?.[name]}
        onChange=${(next) => onChange(withValue(value, name, next))}
        pointer=${`${pointer}/${escape(name)}`}
        prefix=${prefix}
        errors=${errors}
      />`,
  );
}

const RequiredMark = ({ required }) =>
  required ? html`<span class="required" aria-hidden="true"> *</span>` : null;

/** One property or array item, by its schema's type. */
function Field(props) {
  const { schema, name, required, value, onChange, pointer, prefix, errors } = props;
  const type = typeOf(schema);
  if (type === 'object')
    return html`<fieldset class="schema-object" data-field=${pointer}>
      <legend>${name}<${RequiredMark} required=${required} /></legend>
      ${schema.description ? html`<p class="help">${schema.description}</p>` : null}
      <${Properties} schema=${schema} value=${value} onChange=${onChange} pointer=${pointer} prefix=${prefix} errors=${errors} />
    </fieldset>`;
  if (type === 'array') return html`<${ArrayField} ...${props} />`;
  const id = `${prefix}${pointer.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const messages = errors[pointer] ?? [];
  const described = [schema.description ? `${id}-hint` : '', messages.length ? `${id}-error` : '']
    .filter(Boolean)
    .join(' ');
  const common = {
    id,
    name: pointer,
    'aria-invalid': messages.length ? 'true' : 'false',
    'aria-required': required ? 'true' : undefined,
    'aria-describedby': described || undefined,
  };
  const hint = schema.description ? html`<p id=${`${id}-hint`} class="help">${schema.description}</p>` : null;
  const error = messages.length
    ? html`<p id=${`${id}-error`} class="field-error">${messages.join('; ')}</p>`
    : null;
  if (type === 'boolean')
    return html`<div class="field checkbox" data-field=${pointer}>
      <input type="checkbox" ...${common} checked=${value === true} onChange=${(e) => onChange(e.currentTarget.checked)} />
      <label for=${id}>${name}<${RequiredMark} required=${required} /></label>
      ${hint}${error}
    </div>`;
  return html`<div class="field" data-field=${pointer}>
    <label for=${id}>${name}<${RequiredMark} required=${required} /></label>
    <${Input} schema=${schema} type=${type} value=${value} onChange=${onChange} common=${common} />
    ${hint}${error}
  </div>`;
}

/** A number's text as typed: a number when it reads as one, else the text, for the service to refuse. */
const numberFrom = (text) => {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const number = Number(trimmed);
  return Number.isFinite(number) ? number : text;
};

const pad = (n) => String(n).padStart(2, '0');
const localDateTime = (iso) => {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
};

function Input({ schema, type, value, onChange, common }) {
  // Typed text is kept as typed ("1." on the way to "1.5"); the value reported is what it reads as.
  const [text, setText] = useState(() => {
    if (value === undefined || value === null) return '';
    return schema.format === 'date-time' ? localDateTime(value) : String(value);
  });
  const edit = (next, toValue) => {
    setText(next);
    onChange(toValue(next));
  };
  if (schema.enum)
    return html`<select
      ...${common}
      value=${value === undefined ? '' : JSON.stringify(value)}
      onChange=${(e) => onChange(e.currentTarget.value === '' ? undefined : JSON.parse(e.currentTarget.value))}
    >
      <option value="">Choose…</option>
      ${schema.enum.map((option) => html`<option value=${JSON.stringify(option)}>${String(option)}</option>`)}
    </select>`;
  if (type === 'number' || type === 'integer')
    return html`<input
      type="text"
      inputmode=${type === 'integer' ? 'numeric' : 'decimal'}
      ...${common}
      value=${text}
      onInput=${(e) => edit(e.currentTarget.value, numberFrom)}
    />`;
  if (schema.format === 'date')
    return html`<input type="date" ...${common} value=${text} onInput=${(e) => edit(e.currentTarget.value, (v) => v || undefined)} />`;
  if (schema.format === 'date-time')
    return html`<input
      type="datetime-local"
      ...${common}
      value=${text}
      onInput=${(e) => edit(e.currentTarget.value, (v) => (v ? new Date(v).toISOString() : undefined))}
    />`;
  if ((schema.maxLength ?? 0) > 200)
    return html`<textarea rows="3" ...${common} value=${text} onInput=${(e) => edit(e.currentTarget.value, (v) => v || undefined)}></textarea>`;
  return html`<input
    type=${schema.format === 'email' ? 'email' : 'text'}
    ...${common}
    value=${text}
    onInput=${(e) => edit(e.currentTarget.value, (v) => v || undefined)}
  />`;
}

function ArrayField({ schema, name, required, value, onChange, pointer, prefix, errors }) {
  const items = Array.isArray(value) ? value : [];
  const itemSchema = schema.items ?? {};
  // Rows keep their fields' typed text when another row is removed.
  const [keys, setKeys] = useState(() => items.map((_, i) => i));
  const [nextKey, setNextKey] = useState(items.length);
  const messages = errors[pointer] ?? [];
  const add = () => {
    setKeys([...keys, nextKey]);
    setNextKey(nextKey + 1);
    onChange([...items, initialValue(itemSchema)]);
  };
  const remove = (index) => {
    setKeys(keys.filter((_, i) => i !== index));
    onChange(items.filter((_, i) => i !== index));
  };
  return html`<fieldset class="schema-array" data-field=${pointer}>
    <legend>${name}<${RequiredMark} required=${required} /></legend>
    ${schema.description ? html`<p class="help">${schema.description}</p>` : null}
    ${messages.length ? html`<p class="field-error" role="alert">${messages.join('; ')}</p>` : null}
    <ol class="rows">
      ${items.map(
        (item, index) => html`<li key=${keys[index] ?? index} class="row">
          <${Field}
            schema=${itemSchema}
            name=${`${labelOf(itemSchema, name)} ${index + 1}`}
            required=${false}
            value=${item}
            onChange=${(next) => onChange(withValue(items, index, next))}
            pointer=${`${pointer}/${index}`}
            prefix=${prefix}
            errors=${errors}
          />
          <button type="button" onClick=${() => remove(index)} aria-label=${`Remove ${name} ${index + 1}`}>
            Remove
          </button>
        </li>`,
      )}
    </ol>
    <button type="button" onClick=${add}>Add to ${name}</button>
  </fieldset>`;
}
