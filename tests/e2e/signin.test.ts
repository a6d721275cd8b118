/**
 * MODELLAB_AUTH=users in the browser: a page sends to the sign-in page and back; a wrong password is
 * said so; signed in, the user menu names the user, the account page makes a personal token shown
 * once and revokes it (a write carrying the session's CSRF token); a run says who made it; signing
 * out ends the session.
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
});
