/** The sign-in page (MODELLAB_AUTH=users): user name and password; back to where the user was going. */
import { type FormEvent, useState } from 'react';
import { Navigate, useSearchParams } from 'react-router-dom';
import styled from 'styled-components';
import { client } from '../apiClient';
import { useSession } from '../app/session';
import { Button, Card, Field, InlineError, PageTitle } from '../components/ui';

const Form = styled.form`
  display: flex;
  flex-direction: column;
  gap: ${({ theme }) => theme.space(3)};
`;

const Narrow = styled.div`
  max-width: 380px;
  margin: ${({ theme }) => theme.space(8)} auto 0;
`;

/** Only a path of this app: never another site (an open redirect). */
const safeNext = (next: string | null) => (next && next.startsWith('/') && !next.startsWith('//') ? next : '/');

export default function SignIn() {
  const { state, signedIn } = useSession();
  const [params] = useSearchParams();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (state.status === 'ready') return <Navigate to={safeNext(params.get('next'))} replace />;

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      signedIn(await client.login(String(form.get('username') ?? ''), String(form.get('password') ?? '')));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Narrow>
      <PageTitle>Sign in</PageTitle>
      <Card>
        <Form onSubmit={(e) => void submit(e)} aria-label="Sign in">
          <Field>
            User name
            <input name="username" autoComplete="username" required autoFocus />
          </Field>
          <Field>
            Password
            <input name="password" type="password" autoComplete="current-password" required />
          </Field>
          {error && <InlineError role="alert">{error}</InlineError>}
          <Button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </Button>
        </Form>
      </Card>
    </Narrow>
  );
}
