import type { ComponentChildren } from 'preact';

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status.toLowerCase()}`}>{status}</span>;
}

/** An error the user should read: announced, and focusable so a failed action can move focus to it. */
export function Alert({ message, id }: { message: string | undefined; id?: string }) {
  if (!message) return null;
  return (
    <p class="alert" role="alert" id={id} tabIndex={-1}>
      {message}
    </p>
  );
}

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section class="card" aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

export function Loading({ what }: { what: string }) {
  return <p class="muted">Loading {what}…</p>;
}
