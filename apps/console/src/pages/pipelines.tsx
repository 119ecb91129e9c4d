import { useState } from 'preact/hooks';
import { getPage } from '../api.ts';
import { typeName, when } from '../format.ts';
import { go, usePoll } from '../hooks.ts';
import { BUILTIN_TYPES, type Pipeline, PRIORITIES, STATUSES } from '../types.ts';
import { Alert, Loading, StatusBadge } from '../ui.tsx';

const FILTERS = ['status', 'pipeline_type', 'template', 'priority', 'created_after', 'created_before'];
const REFRESH_MS = 2_000;

/** datetime-local text (local time) to the API's ISO instant, and back. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : '');
const toLocal = (iso: string | null) => {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

export function PipelinesPage({ query }: { query: URLSearchParams }) {
  const filters = new URLSearchParams();
  for (const f of FILTERS) {
    const v = query.get(f);
    if (v) filters.set(f, v);
  }
  filters.set('limit', '20');
  const first = `/pipelines?${filters}`;
  // The page is keyed by its filters, so this starts afresh when they change.
  // Pages visited, so "Previous" goes back; the API's Link header gives the next one.
  const [pages, setPages] = useState<string[]>([first]);
  const path = pages[pages.length - 1] ?? first;
  const { data, error } = usePoll(() => getPage<Pipeline>(path), [path], REFRESH_MS);

  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams();
    for (const f of FILTERS) {
      const v = f === name ? value : query.get(f);
      if (v) next.set(f, v);
    }
    go(`/pipelines${next.size ? `?${next}` : ''}`);
  };
  const select = (name: string, label: string, options: string[]) => (
    <div class="field">
      <label for={`f-${name}`}>{label}</label>
      <select
        id={`f-${name}`}
        value={query.get(name) ?? ''}
        onChange={(e) => setFilter(name, e.currentTarget.value)}
      >
        <option value="">Any</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </div>
  );

  return (
    <>
      <h1>Pipelines</h1>
      <form class="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        {select('status', 'Status', STATUSES)}
        {select('pipeline_type', 'Type', BUILTIN_TYPES)}
        <div class="field">
          <label for="f-template">Template</label>
          <input
            id="f-template"
            value={query.get('template') ?? ''}
            placeholder="any"
            onChange={(e) => setFilter('template', e.currentTarget.value.trim())}
          />
        </div>
        {select('priority', 'Priority', PRIORITIES)}
        <div class="field">
          <label for="f-after">Created after</label>
          <input
            id="f-after"
            type="datetime-local"
            value={toLocal(query.get('created_after'))}
            onChange={(e) => setFilter('created_after', toIso(e.currentTarget.value))}
          />
        </div>
        <div class="field">
          <label for="f-before">Created before</label>
          <input
            id="f-before"
            type="datetime-local"
            value={toLocal(query.get('created_before'))}
            onChange={(e) => setFilter('created_before', toIso(e.currentTarget.value))}
          />
        </div>
      </form>
      <Alert message={error} />
      {data === undefined ? (
        <Loading what="pipelines" />
      ) : data.items.length === 0 ? (
        <p class="muted">No pipelines match.</p>
      ) : (
        <div class="scroll">
          <table class="list">
            <caption class="sr-only">Pipelines, newest first (updates live)</caption>
            <thead>
              <tr>
                <th scope="col">Pipeline</th>
                <th scope="col">Status</th>
                <th scope="col">Type</th>
                <th scope="col">Priority</th>
                <th scope="col">Created</th>
                <th scope="col">Attempt</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((p) => (
                <tr key={p.id} data-id={p.id}>
                  <td>
                    <a href={`#/pipelines/${p.id}`} class="mono">
                      {p.id.slice(0, 8)}
                    </a>
                  </td>
                  <td>
                    <StatusBadge status={p.status} />
                  </td>
                  <td>{typeName(p.pipeline_type)}</td>
                  <td>{p.priority}</td>
                  <td>{when(p.created_at)}</td>
                  <td>{p.attempt}</td>
                  <td class="reason">{p.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={pages.length < 2} onClick={() => setPages(pages.slice(0, -1))}>
          Previous
        </button>
        <span class="muted">Page {pages.length}</span>
        <button
          type="button"
          disabled={!data?.next}
          onClick={() => data?.next && setPages([...pages, data.next])}
        >
          Next
        </button>
      </nav>
    </>
  );
}
