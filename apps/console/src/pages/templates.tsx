import { useState } from 'preact/hooks';
import { getJson, messageOf, send } from '../api.ts';
import { usePoll } from '../hooks.ts';
import { atLeast, type Identity } from '../role.ts';
import { parseTemplate } from '../template-json.ts';
import type { Template } from '../types.ts';
import { Alert, Loading, Section } from '../ui.tsx';

const EXAMPLE = {
  name: 'hello',
  description: 'prints a greeting',
  image: 'python:3.11-slim',
  command: ['python3', '-c'],
  args: ['import os; print("hello", os.environ["WHO"])'],
  env: { WHO: '{{who}}' },
  resources: { cpu_request: '50m', memory_request: '64Mi', cpu_limit: '500m', memory_limit: '256Mi' },
  configSchema: {
    type: 'object',
    properties: { who: { type: 'string', maxLength: 100 } },
    required: ['who'],
    additionalProperties: false,
  },
  backoffLimit: 0,
  defaultTimeoutSeconds: 300,
};

function Editor({ onSaved }: { onSaved: () => void }) {
  const [text, setText] = useState(JSON.stringify(EXAMPLE, null, 2));
  const [error, setError] = useState<string | undefined>();
  const [saved, setSaved] = useState<string | undefined>();
  const save = async (method: 'POST' | 'PUT') => {
    setSaved(undefined);
    const parsed = parseTemplate(text);
    if ('error' in parsed) {
      setError(parsed.error);
      return;
    }
    const name = String(parsed.body.name);
    try {
      const t = await send<Template>(
        method,
        method === 'POST' ? '/templates' : `/templates/${encodeURIComponent(name)}`,
        parsed.body,
      );
      setError(undefined);
      setSaved(`Saved ${t.name} version ${t.version}.`);
      onSaved();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <Section title="Create or update a template">
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          void save('POST');
        }}
      >
        <div class="field">
          <label for="template-json">Template (JSON)</label>
          <textarea
            id="template-json"
            class="mono"
            rows={16}
            spellcheck={false}
            value={text}
            aria-invalid={error ? 'true' : undefined}
            aria-describedby="template-json-error"
            onInput={(e) => setText(e.currentTarget.value)}
          />
        </div>
        <Alert message={error} id="template-json-error" />
        {saved ? (
          <p class="ok" role="status">
            {saved}
          </p>
        ) : null}
        <div class="row">
          <button type="submit">Create</button>
          <button type="button" class="secondary" onClick={() => save('PUT')}>
            Update (new version)
          </button>
        </div>
      </form>
    </Section>
  );
}

export function TemplatesPage({ who }: { who: Identity }) {
  const { data, error, reload } = usePoll(() => getJson<Template[]>('/templates'), []);
  return (
    <>
      <h1>Templates</h1>
      <Alert message={error} />
      {data === undefined ? (
        <Loading what="templates" />
      ) : (
        <ul class="cards">
          {data.map((t) => (
            <li key={t.name} class="card">
              <h2>
                {t.name} <span class="muted">v{t.version}</span>{' '}
                {t.builtin ? <span class="tag">built-in</span> : null}
              </h2>
              <p>{t.description}</p>
              <dl class="facts">
                <dt>Image</dt>
                <dd class="mono">{t.image}</dd>
                <dt>Default timeout</dt>
                <dd>{t.default_timeout_seconds} s</dd>
                <dt>Resources</dt>
                <dd>
                  {Object.entries(t.resources)
                    .map(([k, v]) => `${k.replace(/_/g, ' ')} ${v}`)
                    .join(', ')}
                </dd>
              </dl>
              <details>
                <summary>Config schema</summary>
                <pre class="json">{JSON.stringify(t.config_schema, null, 2)}</pre>
              </details>
            </li>
          ))}
        </ul>
      )}
      {atLeast(who, 'admin') ? <Editor onSaved={reload} /> : null}
    </>
  );
}
