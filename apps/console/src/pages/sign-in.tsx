import { useState } from 'preact/hooks';
import { messageOf } from '../api.ts';
import { type Identity, identify } from '../role.ts';
import { Alert } from '../ui.tsx';

export function SignIn({ onSignedIn }: { onSignedIn: (key: string, who: Identity) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  return (
    <main class="signin">
      <h1>Pipeline Operator</h1>
      <form
        class="card"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            onSignedIn(key.trim(), await identify(key.trim()));
          } catch (err) {
            setError(`Sign-in failed: ${messageOf(err)}`);
          } finally {
            setBusy(false);
          }
        }}
      >
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          required
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
        />
        <p class="muted">Kept in this tab's session storage only; closing the tab forgets it.</p>
        <Alert message={error} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
