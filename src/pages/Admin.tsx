/**
 * The admin page (users mode, admins): users and their roles, the per-experiment and per-model
 * permissions, and the audit log. The section is in the URL (?section=users|permissions|audit), and
 * the audit log's filters and page too, so a view can be linked.
 */
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import styled from 'styled-components';
import { client } from '../apiClient';
import { useSession } from '../app/session';
import { Button, Card, CardTitle, Empty, ErrorState, FormRow, Field, formatDate, InlineError, Loading, Mono, PageTitle, Table, TableScroll } from '../components/ui';
import { type AuditEntry, EVERYONE, LEVELS, type Level, PERMISSION_OBJECTS, type PermissionObject, type PermissionRecord, ROLES, type Role, type UserView } from '../shared/auth';
import type { ListResponse } from '../shared/contract/types';

const SECTIONS = ['users', 'permissions', 'audit'] as const;
type Section = (typeof SECTIONS)[number];
const AUDIT_PAGE = 50;

const Tabs = styled.nav`
  display: flex;
  gap: ${({ theme }) => theme.space(2)};
  margin-bottom: ${({ theme }) => theme.space(3)};
  flex-wrap: wrap;
`;

const Tab = styled.button<{ $active: boolean }>`
  border: 1px solid ${({ theme }) => theme.colors.border};
  border-radius: ${({ theme }) => theme.radius};
  padding: ${({ theme }) => `${theme.space(1)} ${theme.space(3)}`};
  background: ${({ theme, $active }) => ($active ? theme.colors.primary : theme.colors.surface)};
  color: ${({ theme, $active }) => ($active ? theme.colors.primaryText : theme.colors.text)};
  font: inherit;
  cursor: pointer;
`;

const Pager = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space(2)};
  margin-top: ${({ theme }) => theme.space(3)};
`;

/** Runs an action, then reloads; its error shows beside the form. */
function useAction(reload: () => void): [string | null, (action: () => Promise<unknown>) => Promise<void>] {
  const [error, setError] = useState<string | null>(null);
  const run = async (action: () => Promise<unknown>) => {
    setError(null);
    try {
      await action();
      reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return [error, run];
}

function useList<T>(load: () => Promise<ListResponse<T>>): { items: T[] | null; total: number; error: Error | null; reload: () => void } {
  const [page, setPage] = useState<ListResponse<T> | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const reload = useCallback(() => {
    setError(null);
    load().then(setPage, setError);
  }, [load]);
  useEffect(reload, [reload]);
  return { items: page?.items ?? null, total: page?.total ?? 0, error, reload };
}

function Users({ me }: { me: string }) {
  const { items, error, reload } = useList(client.listUsers);
  const [actionError, act] = useAction(reload);
  const add = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    void act(async () => {
      await client.createUser(String(data.get('name')), String(data.get('password')), String(data.get('role')) as Role);
      form.reset();
    });
  };
  return (
    <Card>
      <CardTitle>Users</CardTitle>
      <FormRow onSubmit={add} aria-label="New user">
        <Field>
          Name
          <input name="name" required maxLength={64} autoComplete="off" />
        </Field>
        <Field>
          Password
          <input name="password" type="password" required minLength={8} maxLength={256} autoComplete="new-password" />
        </Field>
        <Field>
          Role
          <select name="role" defaultValue="editor">
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </Field>
        <Button type="submit">Add user</Button>
      </FormRow>
      {actionError && <InlineError role="alert">{actionError}</InlineError>}
      {error ? (
        <ErrorState error={error} onRetry={reload} />
      ) : items === null ? (
        <Loading what="users" />
      ) : (
        <TableScroll>
          <Table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Role</th>
                <th>Created</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.map((u: UserView) => (
                <tr key={u.name}>
                  <td>
                    {u.name}
                    {u.name === me && <small> (you)</small>}
                  </td>
                  <td>
                    <select aria-label={`Role of ${u.name}`} value={u.role} onChange={(e) => void act(() => client.updateUser(u.name, { role: e.target.value as Role }))}>
                      {ROLES.map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  </td>
                  <td>{formatDate(u.createdAt)}</td>
                  <td>
                    <Button type="button" aria-label={`Delete ${u.name}`} onClick={() => window.confirm(`Delete user ${u.name} and their tokens?`) && void act(() => client.deleteUser(u.name))}>
                      Delete
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

function Permissions() {
  const { items, error, reload } = useList(client.allPermissions);
  const [actionError, act] = useAction(reload);
  const add = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    void act(async () => {
      await client.setPermission(String(data.get('object')) as PermissionObject, String(data.get('objectId')).trim(), String(data.get('user')).trim(), String(data.get('level')) as Level);
      form.reset();
    });
  };
  return (
    <Card>
      <CardTitle>Permissions</CardTitle>
      <p>
        A grant sets one user&apos;s level on one experiment (by id) or registered model (by name), above or below their role&apos;s; the user <Mono>{EVERYONE}</Mono> stands for everyone without a grant of their own and
        only narrows (<Mono>none</Mono> makes the object private). Creators and admins always manage.
      </p>
      <FormRow onSubmit={add} aria-label="New permission">
        <Field>
          On
          <select name="object" defaultValue="experiment">
            {PERMISSION_OBJECTS.map((o) => (
              <option key={o} value={o}>
                {o === 'model' ? 'registered model' : o}
              </option>
            ))}
          </select>
        </Field>
        <Field>
          Id or name
          <input name="objectId" required maxLength={256} />
        </Field>
        <Field>
          User
          <input name="user" required maxLength={64} placeholder={`name or ${EVERYONE}`} />
        </Field>
        <Field>
          Level
          <select name="level" defaultValue="read">
            {LEVELS.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </Field>
        <Button type="submit">Set</Button>
      </FormRow>
      {actionError && <InlineError role="alert">{actionError}</InlineError>}
      {error ? (
        <ErrorState error={error} onRetry={reload} />
      ) : items === null ? (
        <Loading what="permissions" />
      ) : items.length === 0 ? (
        <Empty>No grants: every user has their role&apos;s level everywhere.</Empty>
      ) : (
        <TableScroll>
          <Table>
            <thead>
              <tr>
                <th>On</th>
                <th>User</th>
                <th>Level</th>
                <th>Set by</th>
                <th>When</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.map((p: PermissionRecord) => (
                <tr key={p.id}>
                  <td>
                    {p.object === 'model' ? 'model' : 'experiment'} <Mono>{p.objectId}</Mono>
                  </td>
                  <td>{p.user === EVERYONE ? 'everyone' : p.user}</td>
                  <td>{p.level}</td>
                  <td>{p.by}</td>
                  <td>{formatDate(p.updatedAt)}</td>
                  <td>
                    <Button type="button" aria-label={`Remove ${p.user}'s grant on ${p.objectId}`} onClick={() => void act(() => client.removePermission(p.object, p.objectId, p.user))}>
                      Remove
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

function Audit() {
  const [params, setParams] = useSearchParams();
  const user = params.get('user') ?? '';
  const action = params.get('action') ?? '';
  const offset = Math.max(0, Number(params.get('offset')) || 0);
  const load = useCallback(() => client.audit({ user: user || undefined, action: action || undefined, limit: AUDIT_PAGE, offset }), [user, action, offset]);
  const { items, total, error, reload } = useList<AuditEntry>(load);
  const set = (change: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(change)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    setParams(next, { replace: true });
  };
  const filter = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    set({ user: String(data.get('user')).trim(), action: String(data.get('action')).trim(), offset: '' });
  };
  return (
    <Card>
      <CardTitle>Audit log</CardTitle>
      <FormRow onSubmit={filter} aria-label="Filter the audit log" key={`${user}|${action}`}>
        <Field>
          User
          <input name="user" defaultValue={user} maxLength={64} />
        </Field>
        <Field>
          Action
          <input name="action" defaultValue={action} maxLength={64} placeholder="run.created, login.failed, …" />
        </Field>
        <Button type="submit">Filter</Button>
      </FormRow>
      {error ? (
        <ErrorState error={error} onRetry={reload} />
      ) : items === null ? (
        <Loading what="the audit log" />
      ) : items.length === 0 ? (
        <Empty>No entries{user || action ? ' match' : ' yet'}.</Empty>
      ) : (
        <>
          <TableScroll>
            <Table>
              <thead>
                <tr>
                  <th>When</th>
                  <th>User</th>
                  <th>Action</th>
                  <th>Object</th>
                  <th>Address</th>
                </tr>
              </thead>
              <tbody>
                {items.map((e) => (
                  <tr key={e.seq}>
                    <td>{formatDate(e.at)}</td>
                    <td>{e.user}</td>
                    <td>
                      <Mono>{e.action}</Mono>
                    </td>
                    <td>
                      {e.objectType} <Mono>{e.objectId}</Mono>
                    </td>
                    <td>
                      <Mono>{e.address}</Mono>
                    </td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </TableScroll>
          <Pager>
            <Button type="button" disabled={offset === 0} onClick={() => set({ offset: String(Math.max(0, offset - AUDIT_PAGE)) })}>
              Newer
            </Button>
            <span>
              {offset + 1}–{offset + items.length} of {total}
            </span>
            <Button type="button" disabled={offset + items.length >= total} onClick={() => set({ offset: String(offset + AUDIT_PAGE) })}>
              Older
            </Button>
          </Pager>
        </>
      )}
    </Card>
  );
}

export default function Admin() {
  const { state } = useSession();
  const [params, setParams] = useSearchParams();
  const section: Section = SECTIONS.find((s) => s === params.get('section')) ?? 'users';
  if (state.status !== 'ready') return <Loading what="admin" />;
  const { me } = state;
  if (me.mode !== 'users' || me.user?.role !== 'admin') {
    return (
      <>
        <PageTitle>Admin</PageTitle>
        <Card>
          <p>{me.mode === 'users' ? 'Only admins manage users, permissions and the audit log.' : `This server has no users (MODELLAB_AUTH=${me.mode}).`}</p>
        </Card>
      </>
    );
  }
  return (
    <>
      <PageTitle>Admin</PageTitle>
      <Tabs aria-label="Sections">
        {SECTIONS.map((s) => (
          <Tab key={s} type="button" $active={s === section} aria-pressed={s === section} onClick={() => setParams({ section: s })}>
            {s === 'audit' ? 'Audit log' : s[0]!.toUpperCase() + s.slice(1)}
          </Tab>
        ))}
      </Tabs>
      {section === 'users' ? <Users me={me.user.name} /> : section === 'permissions' ? <Permissions /> : <Audit />}
    </>
  );
}
