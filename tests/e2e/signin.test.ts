/**
 * MODELLAB_AUTH=users in the browser: a page sends to the sign-in page and back; a wrong password is
 * said so; signed in, the user menu names the user, the account page makes a personal token shown
 * once and revokes it (a write carrying the session's CSRF token); a run says who made it; signing
 * out ends the session. The admin page adds a user, makes an experiment private to them and shows
 * the audit log of it.
 */
import { describe, expect, it } from 'vitest';
import { e2eSession, screenshot, sidewaysOverflow, watchProblems } from './browser';

const session = e2eSession({ env: { MODELLAB_AUTH: 'users', MODELLAB_ADMIN_USER: 'ops', MODELLAB_ADMIN_PASSWORD: 'e2e-admin-password' } });

/** A 401 of /auth/me or of a page's first call while nobody is signed in is how the app learns it. */
const unexpected = (problems: string[]) => problems.filter((p) => !/^HTTP 401: |status of 401/.test(p));

describe('signing in', () => {
  it('signs in, makes and revokes a token, signs out and is sent back to the sign-in page', async () => {
    const base = session.server.url;
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`${base}/modellab/runs?sort=name`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/modellab/signin');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/runs?sort=name');
    await screenshot(page, 'signin-1280');

    await page.getByLabel('User name').fill('ops');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('Wrong user name or password').waitFor();

    await page.getByLabel('Password').fill('e2e-admin-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/modellab/runs' && url.searchParams.get('sort') === 'name');
    await page.getByLabel('Signed in').getByText('ops').waitFor();
    expect(await page.getByLabel('Signed in').textContent()).toContain('(admin)');

    // A run made by this user (with its password, as a script would) says who made it.
    const made = (await (
      await fetch(`${base}/api/modellab/runs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('ops:e2e-admin-password').toString('base64')}` }, body: '{"name":"by-ops"}' })
    ).json()) as { id: string };
    await page.goto(`${base}/modellab/runs/${made.id}`);
    await page.getByText(/by ops$/).waitFor();

    await page.getByLabel('Signed in').getByRole('link').click();
    await page.getByRole('heading', { name: 'Account' }).waitFor();
    await page.getByLabel('Name').fill('e2e laptop');
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = (await page.getByTestId('new-token').locator('code').textContent())!;
    expect(shown).toMatch(/^mlp_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect((await fetch(`${base}/api/modellab/runs`, { headers: { authorization: `Bearer ${shown}` } })).status).toBe(200);
    await page.getByRole('cell', { name: 'e2e laptop', exact: true }).waitFor();
    await screenshot(page, 'account-1280');
    expect(await sidewaysOverflow(page)).toEqual([]);

    await page.getByRole('button', { name: 'Revoke e2e laptop' }).click();
    await page.getByText('No tokens yet.').waitFor();
    expect((await fetch(`${base}/api/modellab/runs`, { headers: { authorization: `Bearer ${shown}` } })).status).toBe(401);

    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, 'account-375');
    expect(await sidewaysOverflow(page)).toEqual([]);

    await page.getByLabel('Signed in').getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await screenshot(page, 'signin-375');
    await page.goto(`${base}/modellab/models`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor(); // the session ended on the server too
    expect(new URL(page.url()).searchParams.get('next')).toBe('/models');
    expect(unexpected(problems).join("\n")).toBe("");
    await page.close();
  });

  it('the admin page: adds a user, grants it an experiment others may not see, and shows the audit log', async () => {
    const base = session.server.url;
    const admin = { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('ops:e2e-admin-password').toString('base64')}` };
    const experiment = (await (await fetch(`${base}/api/modellab/experiments`, { method: 'POST', headers: admin, body: '{"name":"e2e-private"}' })).json()) as { id: string };
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await page.goto(`${base}/modellab/signin`);
    await page.getByLabel('User name').fill('ops');
    await page.getByLabel('Password').fill('e2e-admin-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();

    const newUser = page.getByRole('form', { name: 'New user' });
    await newUser.getByLabel('Name').fill('dana');
    await newUser.getByLabel('Password').fill('dana-password-1');
    await newUser.getByLabel('Role').selectOption('viewer');
    await newUser.getByRole('button', { name: 'Add user' }).click();
    await page.getByLabel('Role of dana').waitFor();
    expect(await page.getByLabel('Role of dana').inputValue()).toBe('viewer');
    await screenshot(page, 'admin-users-1280');

    await page.getByRole('button', { name: 'Permissions' }).click();
    const grant = page.getByRole('form', { name: 'New permission' });
    await grant.getByLabel('Id or name').fill(experiment.id);
    await grant.getByLabel('User').fill('*');
    await grant.getByLabel('Level').selectOption('none');
    await grant.getByRole('button', { name: 'Set' }).click();
    await page.getByRole('cell', { name: 'everyone', exact: true }).waitFor();
    await grant.getByLabel('Id or name').fill(experiment.id);
    await grant.getByLabel('User').fill('dana');
    await grant.getByLabel('Level').selectOption('edit');
    await grant.getByRole('button', { name: 'Set' }).click();
    await page.getByRole('cell', { name: 'dana', exact: true }).waitFor();
    await screenshot(page, 'admin-permissions-1280');
    // What the grants mean: dana (a viewer) may log runs there; another viewer does not see it.
    const dana = { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('dana:dana-password-1').toString('base64')}` };
    expect((await fetch(`${base}/api/modellab/runs`, { method: 'POST', headers: dana, body: JSON.stringify({ name: 'dana-run', experimentId: experiment.id }) })).status).toBe(201);
    await fetch(`${base}/api/modellab/users`, { method: 'POST', headers: admin, body: '{"name":"olaf","password":"olaf-password-1","role":"viewer"}' });
    const olaf = { authorization: `Basic ${Buffer.from('olaf:olaf-password-1').toString('base64')}` };
    expect((await fetch(`${base}/api/modellab/experiments/${experiment.id}`, { headers: olaf })).status).toBe(404);

    await page.getByRole('button', { name: 'Audit log' }).click();
    const filter = page.getByRole('form', { name: 'Filter the audit log' });
    await filter.getByLabel('User').fill('dana');
    await filter.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('1–1 of 1', { exact: true }).waitFor(); // the filtered page (dana made one run), not the one before it
    await page.getByRole('cell', { name: 'run.created', exact: true }).waitFor();
    expect(new URL(page.url()).searchParams.get('user')).toBe('dana');
    await filter.getByLabel('User').fill('');
    await filter.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('cell', { name: 'permission.updated', exact: true }).first().waitFor();
    await page.getByRole('cell', { name: 'user.created', exact: true }).first().waitFor();
    await screenshot(page, 'admin-audit-1280');
    expect(await sidewaysOverflow(page)).toEqual([]);
    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, 'admin-audit-375');
    expect(await sidewaysOverflow(page)).toEqual([]);
    expect(unexpected(problems).join('\n')).toBe('');
    await page.close();
  });
});
