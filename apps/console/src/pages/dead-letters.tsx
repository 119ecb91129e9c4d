import { useState } from 'preact/hooks';
import { getPage } from '../api.ts';
import { when } from '../format.ts';
import { usePoll } from '../hooks.ts';
import type { DeadLetter } from '../types.ts';
import { Alert, Loading } from '../ui.tsx';

export function DeadLettersPage() {
  const [pages, setPages] = useState<string[]>(['/dead-letters?limit=20']);
  const path = pages[pages.length - 1] ?? '/dead-letters?limit=20';
  const { data, error } = usePoll(() => getPage<DeadLetter>(path), [path], 5_000);
  return (
    <>
      <h1>Dead letters</h1>
      <p class="muted">Bus messages that could not be handled, newest first (payloads redacted).</p>
      <Alert message={error} />
      {data === undefined ? (
        error ? null : (
          <Loading what="dead letters" />
        )
      ) : data.items.length === 0 ? (
        <p class="muted">No dead letters.</p>
      ) : (
        <div class="scroll">
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Seq</th>
                <th scope="col">Time</th>
                <th scope="col">Subject</th>
                <th scope="col">Reason</th>
                <th scope="col">Deliveries</th>
                <th scope="col">Payload</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((d) => (
                <tr key={d.seq}>
                  <td>{d.seq}</td>
                  <td>{when(d.time)}</td>
                  <td class="mono">{d.original_subject}</td>
                  <td class="reason">{d.reason}</td>
                  <td>{d.deliveries}</td>
                  <td>
                    <details>
                      <summary>Show</summary>
                      <pre class="json">{JSON.stringify(d.payload, null, 2)}</pre>
                    </details>
                  </td>
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
