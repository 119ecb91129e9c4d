import { useEffect, useRef, useState } from 'preact/hooks';
import { SIGNED_OUT, storedIdentity, storeKey } from './api.ts';
import { useRoute } from './hooks.ts';
import { DeadLettersPage } from './pages/dead-letters.tsx';
import { PipelinePage } from './pages/pipeline.tsx';
import { PipelinesPage } from './pages/pipelines.tsx';
import { QuotaPage } from './pages/quota.tsx';
import { SignIn } from './pages/sign-in.tsx';
import { SubmitPage } from './pages/submit.tsx';
import { TemplatesPage } from './pages/templates.tsx';
import { atLeast, type Identity } from './role.ts';

const NAV: { path: string; label: string; min?: 'submitter' | 'admin' }[] = [
  { path: '/pipelines', label: 'Pipelines' },
  { path: '/submit', label: 'Submit', min: 'submitter' },
  { path: '/templates', label: 'Templates' },
  { path: '/quota', label: 'Quota' },
  { path: '/dead-letters', label: 'Dead letters', min: 'admin' },
];

export function App() {
  // What the key may do was found at sign-in and is kept beside it for the tab's session, so a
  // reload neither asks again nor shows a non-admin's 403 probe in the console again.
  const [who, setWho] = useState<Identity | null>(storedIdentity);
  const route = useRoute();
  const main = useRef<HTMLElement>(null);

  useEffect(() => {
    const out = () => setWho(null);
    addEventListener(SIGNED_OUT, out);
    return () => removeEventListener(SIGNED_OUT, out);
  }, []);

  // Move focus to the page on navigation, so keyboard and screen reader users start there.
  useEffect(() => {
    main.current?.focus();
  }, [route.path]);

  if (who === null)
    return (
      <SignIn
        onSignedIn={(key, id) => {
          storeKey(key, id);
          setWho(id);
        }}
      />
    );

  const section = `/${route.path.split('/')[1] ?? ''}`;
  const id = route.path.startsWith('/pipelines/') ? decodeURIComponent(route.path.slice(11)) : undefined;
  let page = <PipelinesPage key={route.query.toString()} query={route.query} />;
  if (id) page = <PipelinePage id={id} who={who} />;
  else if (section === '/submit') page = <SubmitPage />;
  else if (section === '/templates') page = <TemplatesPage who={who} />;
  else if (section === '/quota') page = <QuotaPage />;
  else if (section === '/dead-letters') page = <DeadLettersPage />;

  return (
    <>
      <button type="button" class="skip" onClick={() => main.current?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <span class="brand">Pipeline Operator</span>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => !n.min || atLeast(who, n.min)).map((n) => (
              <li key={n.path}>
                <a href={`#${n.path}`} aria-current={section === n.path ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">
          {who.tenant} · {who.role}
        </span>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            storeKey(null);
            setWho(null);
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {page}
      </main>
    </>
  );
}
