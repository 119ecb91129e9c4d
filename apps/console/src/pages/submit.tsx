import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getJson, messageOf, send } from '../api.ts';
import { go, usePoll } from '../hooks.ts';
import { configOf, type Field, fieldsNamed, fieldsOf, pipelineTypeFor } from '../schema-form.ts';
import { type Pipeline, PRIORITIES, type Template } from '../types.ts';
import { Alert, Loading } from '../ui.tsx';

function FieldInput({
  f,
  value,
  problem,
  onValue,
}: {
  f: Field;
  value: string;
  /** What the API said about this field. */
  problem: string | undefined;
  onValue: (v: string) => void;
}) {
  const id = `cfg-${f.name}`;
  const hint = f.description ? `${id}-hint` : undefined;
  const err = problem ? `${id}-error` : undefined;
  const common = {
    id,
    name: f.name,
    'aria-invalid': problem ? ('true' as const) : undefined,
    'aria-describedby': [hint, err].filter(Boolean).join(' ') || undefined,
  };
  let input = (
    <input
      {...common}
      type="text"
      inputMode={f.kind === 'integer' ? 'numeric' : f.kind === 'number' ? 'decimal' : undefined}
      required={f.required}
      value={value}
      onInput={(e) => onValue(e.currentTarget.value)}
    />
  );
  if (f.kind === 'boolean')
    input = (
      <input
        {...common}
        type="checkbox"
        checked={value === 'true'}
        onChange={(e) => onValue(e.currentTarget.checked ? 'true' : 'false')}
      />
    );
  else if (f.kind === 'choice')
    input = (
      <select
        {...common}
        required={f.required}
        value={value}
        onChange={(e) => onValue(e.currentTarget.value)}
      >
        {f.required ? null : <option value="">(not set)</option>}
        {f.choices.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    );
  else if (f.kind === 'json')
    input = <textarea {...common} rows={3} value={value} onInput={(e) => onValue(e.currentTarget.value)} />;
  return (
    <div class="field">
      <label for={id}>
        {f.name}
        {f.required ? <span aria-hidden="true"> *</span> : null}
        {f.kind === 'json' ? <span class="muted"> (JSON)</span> : null}
      </label>
      {input}
      {hint ? (
        <small id={hint} class="muted">
          {f.description}
        </small>
      ) : null}
      {err ? (
        <small id={err} class="field-error">
          {problem}
        </small>
      ) : null}
    </div>
  );
}

export function SubmitPage() {
  const templates = usePoll(() => getJson<Template[]>('/templates'), []);
  const [name, setName] = useState('');
  const [values, setValues] = useState<Record<string, string>>({});
  const [priority, setPriority] = useState('Normal');
  const [timeout, setTimeoutText] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const alertRef = useRef<HTMLDivElement>(null);

  const list = templates.data ?? [];
  const template = list.find((t) => t.name === name) ?? list[0];
  const fields = template ? fieldsOf(template.config_schema, template.defaults) : [];
  const problemOf = (field: string) =>
    error && fieldsNamed(error).includes(field)
      ? error
          .replace(/^Invalid pipeline configuration: /, '')
          .split('; ')
          .filter((part) => part.includes(`config.${field}`))
          .join('; ')
      : undefined;

  useEffect(() => {
    if (error) alertRef.current?.querySelector<HTMLElement>('[role=alert]')?.focus();
  }, [error]);

  if (templates.data === undefined)
    return templates.error ? <Alert message={templates.error} /> : <Loading what="templates" />;

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!template) return;
    setBusy(true);
    setError(undefined);
    const body: Record<string, unknown> = {
      pipeline_type: pipelineTypeFor(template),
      config: configOf(fields, values),
      priority,
    };
    // Text that is not a number goes as typed: the API says what is wrong with it.
    const seconds = Number(timeout);
    if (timeout.trim() !== '') body.timeout_seconds = Number.isFinite(seconds) ? seconds : timeout;
    try {
      const p = await send<Pipeline>('POST', '/pipelines', body);
      go(`/pipelines/${p.id}`);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1>Submit a pipeline</h1>
      <form class="card form" onSubmit={submit} noValidate>
        <div class="field">
          <label for="template">Template</label>
          <select
            id="template"
            value={template?.name ?? ''}
            onChange={(e) => {
              setName(e.currentTarget.value);
              setValues({});
              setError(undefined);
            }}
          >
            {list.map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
                {t.builtin ? '' : ' (custom)'}
              </option>
            ))}
          </select>
          {template?.description ? <small class="muted">{template.description}</small> : null}
        </div>
        <fieldset>
          <legend>Config</legend>
          {fields.length === 0 ? <p class="muted">This template takes no config.</p> : null}
          {fields.map((f) => (
            <FieldInput
              key={`${template?.name}.${f.name}`}
              f={f}
              value={values[f.name] ?? f.initial}
              problem={problemOf(f.name)}
              onValue={(v) => setValues({ ...values, [f.name]: v })}
            />
          ))}
        </fieldset>
        <div class="row">
          <div class="field">
            <label for="priority">Priority</label>
            <select id="priority" value={priority} onChange={(e) => setPriority(e.currentTarget.value)}>
              {PRIORITIES.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="timeout">Timeout (seconds)</label>
            <input
              id="timeout"
              inputMode="numeric"
              placeholder={template ? String(template.default_timeout_seconds) : ''}
              value={timeout}
              aria-invalid={error?.includes('timeout_seconds') ? 'true' : undefined}
              onInput={(e) => setTimeoutText(e.currentTarget.value)}
            />
          </div>
        </div>
        <div ref={alertRef}>
          <Alert message={error} id="submit-error" />
        </div>
        <button type="submit" disabled={busy || !template}>
          Submit
        </button>
      </form>
    </>
  );
}
