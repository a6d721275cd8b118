/**
 * Who is signed in, for the whole app: asked once (GET /auth/me) when the app starts, and again after
 * signing in or out. In users mode a 401 from any call — the session ended elsewhere or expired —
 * sends the browser to the sign-in page; none and token modes have no users and never go there.
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { client, session } from '../apiClient';
import type { Me } from '../shared/auth';

type SessionState = { status: 'loading' } | { status: 'signed-out' } | { status: 'ready'; me: Me } | { status: 'error'; error: Error };

interface SessionValue {
  state: SessionState;
  /** The answer of a sign-in (or a fresh /auth/me): becomes the session everyone sees. */
  signedIn(me: Me): void;
  signOut(): Promise<void>;
  reload(): void;
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);

  const signedIn = useCallback((me: Me) => {
    session.setCsrfToken(me.csrfToken ?? null);
    setState({ status: 'ready', me });
  }, []);

  useEffect(() => {
    let live = true;
    client.me().then(
      (me) => live && signedIn(me),
      (error: Error & { status?: number }) => {
        if (!live) return;
        session.setCsrfToken(null);
        setState(error.status === 401 ? { status: 'signed-out' } : { status: 'error', error });
      },
    );
    return () => {
      live = false;
    };
  }, [attempt, signedIn]);

  useEffect(() => {
    session.onSignedOut(() => {
      session.setCsrfToken(null);
      setState((current) => (current.status === 'ready' && current.me.mode !== 'users' ? current : { status: 'signed-out' }));
    });
    return () => session.onSignedOut(null);
  }, []);

  const signOut = useCallback(async () => {
    await client.logout().catch(() => undefined); // signed out already: no matter
    session.setCsrfToken(null);
    setState({ status: 'signed-out' });
  }, []);

  const value = useMemo(() => ({ state, signedIn, signOut, reload: () => setAttempt((n) => n + 1) }), [state, signedIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}
