import { getJson } from '../api.ts';
import { usePoll } from '../hooks.ts';
import type { Quota } from '../types.ts';
import { Alert, Loading } from '../ui.tsx';

function Usage({ label, used, max, own }: { label: string; used: number; max: number; own: number | null }) {
  const id = `q-${label.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <div class="field">
      <label for={id}>
        {label}: {used} of {max} {own === null ? '(platform default)' : '(set for this tenant)'}
      </label>
      <meter id={id} min={0} max={Math.max(max, 1)} value={used} />
    </div>
  );
}

export function QuotaPage() {
  const { data, error } = usePoll(() => getJson<Quota>('/quota'), [], 3_000);
  return (
    <>
      <h1>Quota and usage</h1>
      <Alert message={error} />
      {data === undefined ? (
        <Loading what="the quota" />
      ) : (
        <section class="card" aria-label="Quota">
          <h2>Tenant {data.tenant_id}</h2>
          <Usage
            label="Running"
            used={data.running}
            max={data.max_running}
            own={data.overrides.max_running}
          />
          <Usage label="Queued" used={data.queued} max={data.max_queued} own={data.overrides.max_queued} />
          {data.max_running === 0 ? (
            <p class="alert">This tenant is paused: nothing new is admitted.</p>
          ) : null}
        </section>
      )}
    </>
  );
}
