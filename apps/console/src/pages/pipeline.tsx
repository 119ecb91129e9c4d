import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { getJson, messageOf, send } from '../api.ts';
import { safeHref, seconds, TERMINAL, typeName, when } from '../format.ts';
import { usePoll } from '../hooks.ts';
import { pendingOf } from '../pending.ts';
import { atLeast, type Identity } from '../role.ts';
import type { LogLine, Pipeline, PipelineDetail, PipelineEvent } from '../types.ts';
import { Alert, Loading, Section, StatusBadge } from '../ui.tsx';
import { LogView } from './log-view.tsx';

const REFRESH_MS = 1_500;

export function PipelinePage({ id, who }: { id: string; who: Identity }) {
  const enc = encodeURIComponent(id);
  const detail = usePoll(() => getJson<PipelineDetail>(`/pipelines/${enc}`), [id], REFRESH_MS);
  const events = usePoll(() => getJson<PipelineEvent[]>(`/pipelines/${enc}/events`), [id], REFRESH_MS);
  const [actionError, setActionError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [pods, setPods] = useState<Map<number, string[]>>(new Map());

  const p = detail.data;
  if (p === undefined)
    return detail.error ? <Alert message={detail.error} /> : <Loading what="the pipeline" />;
  const live = !TERMINAL.has(p.status);
  const canAct = atLeast(who, 'submitter');

  const act = async (what: 'cancel' | 'restart') => {
    setBusy(true);
    setActionError(undefined);
    try {
      await send<Pipeline>('POST', `/pipelines/${enc}/${what}`);
      detail.reload();
      events.reload();
    } catch (err) {
      setActionError(`${what === 'cancel' ? 'Cancel' : 'Restart'} failed: ${messageOf(err)}`);
    } finally {
      setBusy(false);
    }
  };

  const onLines = (lines: LogLine[]) => {
    const next = new Map<number, string[]>();
    for (const l of lines) {
      const list = next.get(l.attempt) ?? [];
      if (!list.includes(l.pod)) list.push(l.pod);
      next.set(l.attempt, list);
    }
    if ([...next].some(([a, ps]) => (pods.get(a) ?? []).length !== ps.length)) setPods(next);
  };

  const pending = p.status === 'Queued' ? pendingOf(p) : undefined;
  const trace = safeHref(p.trace_url);

  return (
    <>
      <div class="titlebar">
        <h1>
          Pipeline <span class="mono">{p.id}</span>
        </h1>
        <StatusBadge status={p.status} />
        {canAct && live ? (
          <button type="button" class="danger" disabled={busy} onClick={() => act('cancel')}>
            Cancel
          </button>
        ) : null}
        {canAct && !live ? (
          <button type="button" disabled={busy} onClick={() => act('restart')}>
            Restart
          </button>
        ) : null}
      </div>
      <Alert message={actionError} />
      <Alert message={detail.error} />
      {pending ? (
        <section class="card pending" aria-label="Why pending">
          <h2>Why pending</h2>
          <p>{pending.reason ?? 'Waiting to be admitted by the scheduler.'}</p>
          {pending.position !== undefined ? <p>Position: {pending.position}</p> : null}
          {pending.details.length ? (
            <dl class="facts">
              {pending.details.map(([k, v]) => (
                <Fragment key={k}>
                  <dt>{k}</dt>
                  <dd>{v}</dd>
                </Fragment>
              ))}
            </dl>
          ) : null}
        </section>
      ) : null}
      <Section title="Summary">
        <dl class="facts">
          <dt>Type</dt>
          <dd>{typeName(p.pipeline_type)}</dd>
          <dt>Template</dt>
          <dd>
            {p.template} v{p.template_version}
          </dd>
          <dt>Priority</dt>
          <dd>{p.priority}</dd>
          <dt>Timeout</dt>
          <dd>{p.timeout_seconds} s</dd>
          <dt>Attempt</dt>
          <dd>
            {p.attempt} of at most {p.max_attempts}
          </dd>
          <dt>Reason</dt>
          <dd class="reason">{p.reason ?? '—'}</dd>
          <dt>Created</dt>
          <dd>{when(p.timing.created_at)}</dd>
          <dt>Started</dt>
          <dd>{when(p.timing.started_at)}</dd>
          <dt>Finished</dt>
          <dd>{when(p.timing.finished_at)}</dd>
          <dt>Queued for</dt>
          <dd>{seconds(p.timing.queue_seconds)}</dd>
          <dt>Ran for</dt>
          <dd>{seconds(p.timing.run_seconds)}</dd>
          {trace ? (
            <>
              <dt>Trace</dt>
              <dd>
                <a href={trace} target="_blank" rel="noopener noreferrer">
                  Open the trace
                </a>
              </dd>
            </>
          ) : null}
        </dl>
        <details>
          <summary>Config</summary>
          <pre class="json">{JSON.stringify(p.config, null, 2)}</pre>
        </details>
      </Section>
      <Section title="Attempts">
        {p.attempts.length === 0 ? <p class="muted">No attempt admitted yet.</p> : null}
        <ol class="timeline">
          {p.attempts.map((a) => (
            <li key={a.attempt}>
              <div class="titlebar">
                <strong>Attempt {a.attempt}</strong>
                {a.status ? <StatusBadge status={a.status} /> : null}
                <span class="mono muted">{a.job_name}</span>
              </div>
              <p class="muted">
                admitted {when(a.admitted_at)} · started {when(a.started_at)} · finished {when(a.finished_at)}
                {a.exit_code !== null ? ` · exit code ${a.exit_code}` : ''}
              </p>
              {a.reason ? <p class="reason">{a.reason}</p> : null}
              <p class="muted">
                Pods: {(pods.get(a.attempt) ?? []).join(', ') || 'none seen in the logs'}
                {a.logs_truncated ? ' · logs truncated' : ''}
              </p>
            </li>
          ))}
        </ol>
      </Section>
      <Section title="Logs">
        <LogView id={id} live={live} onLines={onLines} />
      </Section>
      <Section title="Events">
        <div class="scroll">
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Attempt</th>
                <th scope="col">Event</th>
                <th scope="col">Change</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {(events.data ?? []).map((e) => (
                <tr key={e.id}>
                  <td>{when(e.at)}</td>
                  <td>{e.attempt}</td>
                  <td>{e.kind}</td>
                  <td>{e.from || e.to ? `${e.from ?? '∅'} → ${e.to ?? '∅'}` : ''}</td>
                  <td class="reason">{e.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Section>
    </>
  );
}
