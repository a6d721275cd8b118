/**
 * The account page: in users mode who is signed in and their personal access tokens (create — the
 * token is shown once — and revoke); in token mode the API token this browser sends with its writes.
 */
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import styled from 'styled-components';
import { apiToken, client } from '../apiClient';
import { useSession } from '../app/session';
import { Button, Card, CardTitle, Empty, ErrorState, FormRow, Facts, Field, formatDate, InlineError, Loading, Mono, PageTitle, Table, TableScroll } from '../components/ui';
import type { TokenView } from '../shared/auth';

const Secret = styled.div`
  border: 1px solid ${({ theme }) => theme.colors.border};
  border-radius: ${({ theme }) => theme.radius};
  padding: ${({ theme }) => theme.space(3)};
  margin-bottom: ${({ theme }) => theme.space(3)};
  background: ${({ theme }) => theme.colors.bg};
  code {
    overflow-wrap: anywhere;
  }
`;

function Tokens() {
  const [tokens, setTokens] = useState<TokenView[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [made, setMade] = useState<{ name: string; token: string } | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const load = useCallback(() => {
    client.listTokens().then((r) => setTokens(r.items), setError);
  }, []);
  useEffect(load, [load]);

  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const expires = String(data.get('expires') ?? '');
    setFormError(null);
    try {
      const token = await client.createToken(String(data.get('name') ?? ''), expires ? new Date(`${expires}T23:59:59`).toISOString() : null);
      setMade({ name: token.name, token: token.token });
      form.reset();
      load();
    } catch (e) {
      setFormError((e as Error).message);
    }
  };

  const revoke = async (id: string) => {
    try {
      await client.revokeToken(id);
      load();
    } catch (e) {
      setFormError((e as Error).message);
    }
  };

  return (
    <Card>
      <CardTitle>Personal access tokens</CardTitle>
      <p>
        For scripts and MLflow clients: send one as <Mono>Authorization: Bearer …</Mono> or set <Mono>MLFLOW_TRACKING_TOKEN</Mono>.
      </p>
      <FormRow onSubmit={(e) => void create(e)} aria-label="New token">
        <Field>
          Name
          <input name="name" required maxLength={100} placeholder="laptop, CI, …" />
        </Field>
        <Field>
          Expires (optional)
          <input name="expires" type="date" />
        </Field>
        <Button type="submit">Create token</Button>
      </FormRow>
      {formError && <InlineError role="alert">{formError}</InlineError>}
      {made && (
        <Secret data-testid="new-token">
          <p>
            Token <strong>{made.name}</strong> — copy it now; it is not shown again:
          </p>
          <code>{made.token}</code>{' '}
          <Button type="button" onClick={() => void navigator.clipboard?.writeText(made.token).catch(() => undefined)}>
            Copy
          </Button>
        </Secret>
      )}
      {error ? (
        <ErrorState error={error} onRetry={load} />
      ) : tokens === null ? (
        <Loading what="tokens" />
      ) : tokens.length === 0 ? (
        <Empty>No tokens yet.</Empty>
      ) : (
        <TableScroll>
          <Table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Created</th>
                <th>Expires</th>
                <th>Last used</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td>{formatDate(t.createdAt)}</td>
                  <td>{t.expiresAt ? formatDate(t.expiresAt) : 'never'}</td>
                  <td>{t.lastUsedAt ? formatDate(t.lastUsedAt) : 'never'}</td>
                  <td>
                    <Button type="button" onClick={() => void revoke(t.id)} aria-label={`Revoke ${t.name}`}>
                      Revoke
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        </TableScroll>
      )}
    </Card>
  );
}

function ApiTokenSetting() {
  const [saved, setSaved] = useState(apiToken.get() !== null);
  const save = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const value = String(new FormData(event.currentTarget).get('token') ?? '').trim();
    apiToken.set(value || null);
    setSaved(value !== '');
    event.currentTarget.reset();
  };
  return (
    <Card>
      <CardTitle>API token</CardTitle>
      <p>This server needs its API token (MODELLAB_API_TOKEN) for every change. This browser {saved ? 'has one saved' : 'has none saved'}.</p>
      <FormRow onSubmit={save} aria-label="API token">
        <Field>
          Token
          <input name="token" type="password" autoComplete="off" />
        </Field>
        <Button type="submit">Save</Button>
        {saved && (
          <Button
            type="button"
            onClick={() => {
              apiToken.set(null);
              setSaved(false);
            }}
          >
            Forget
          </Button>
        )}
      </FormRow>
    </Card>
  );
}

export default function Account() {
  const { state, signOut } = useSession();
  if (state.status !== 'ready') return <Loading what="account" />;
  const { me } = state;
  return (
    <>
      <PageTitle>Account</PageTitle>
      {me.mode === 'users' && me.user ? (
        <>
          <Card>
            <Facts>
              <dt>User</dt>
              <dd>{me.user.name}</dd>
              <dt>Role</dt>
              <dd>{me.user.role}</dd>
            </Facts>
            <Button type="button" onClick={() => void signOut()}>
              Sign out
            </Button>
          </Card>
          <Tokens />
        </>
      ) : me.mode === 'token' ? (
        <ApiTokenSetting />
      ) : (
        <Card>
          <p>This server has no sign-in (MODELLAB_AUTH=none): anyone who reaches it may read and change everything.</p>
        </Card>
      )}
    </>
  );
}
