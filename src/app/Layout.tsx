import { Suspense } from 'react';
import { Navigate, NavLink, Outlet, useLocation } from 'react-router-dom';
import styled, { createGlobalStyle } from 'styled-components';
import { Loading } from '../components/ui';
import { useSession } from './session';
import { useThemeChoice } from './themeMode';

export const GlobalStyle = createGlobalStyle`
  :root { color-scheme: ${({ theme }) => theme.name}; }
  *, *::before, *::after { box-sizing: border-box; }
  html, body { margin: 0; padding: 0; }
  body {
    font-family: ${({ theme }) => theme.fonts.body};
    background: ${({ theme }) => theme.colors.bg};
    color: ${({ theme }) => theme.colors.text};
    overflow-x: hidden;
  }
  a { color: ${({ theme }) => theme.colors.primary}; }
`;

const Header = styled.header`
  background: ${({ theme }) => theme.colors.surface};
  border-bottom: 1px solid ${({ theme }) => theme.colors.border};
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: ${({ theme }) => theme.space(2)} ${({ theme }) => theme.space(6)};
  padding: ${({ theme }) => theme.space(3)} ${({ theme }) => theme.space(4)};
`;

const Brand = styled(NavLink)`
  font-weight: 700;
  font-size: 1.15rem;
  color: ${({ theme }) => theme.colors.text};
  text-decoration: none;
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space(2)};
`;

const Nav = styled.nav`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => theme.space(1)};
  max-width: 100%;
`;

const NavItem = styled(NavLink)`
  padding: ${({ theme }) => `${theme.space(1.5)} ${theme.space(3)}`};
  @media (max-width: ${({ theme }) => theme.breakpoints.narrow}) {
    padding: ${({ theme }) => `${theme.space(1.5)} ${theme.space(2)}`};
  }
  border-radius: ${({ theme }) => theme.radius};
  color: ${({ theme }) => theme.colors.muted};
  text-decoration: none;
  white-space: nowrap;
  &.active {
    background: ${({ theme }) => theme.colors.bg};
    color: ${({ theme }) => theme.colors.primary};
    font-weight: 600;
  }
`;

const Main = styled.main`
  max-width: 1200px;
  margin: 0 auto;
  padding: ${({ theme }) => theme.space(6)} ${({ theme }) => theme.space(4)};
  @media (max-width: ${({ theme }) => theme.breakpoints.narrow}) {
    padding: ${({ theme }) => theme.space(4)} ${({ theme }) => theme.space(3)};
  }
`;

const UserMenu = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space(2)};
  font-size: 0.9rem;
  color: ${({ theme }) => theme.colors.muted};
  button {
    font: inherit;
    background: none;
    border: 1px solid ${({ theme }) => theme.colors.border};
    border-radius: ${({ theme }) => theme.radius};
    padding: ${({ theme }) => `${theme.space(1)} ${theme.space(2)}`};
    color: ${({ theme }) => theme.colors.text};
    cursor: pointer;
  }
`;

const ToggleButton = styled.button`
  margin-left: auto;
  border: 1px solid ${({ theme }) => theme.colors.border};
  background: ${({ theme }) => theme.colors.surface};
  color: ${({ theme }) => theme.colors.text};
  border-radius: ${({ theme }) => theme.radius};
  padding: 4px 10px;
  font: inherit;
  font-size: 0.85rem;
  cursor: pointer;
`;

const CHOICE_LABEL = { system: 'Theme: system', light: 'Theme: light', dark: 'Theme: dark' } as const;

/** Light, dark or the system's: one click moves to the next. */
function ThemeToggle() {
  const { choice, next } = useThemeChoice();
  return (
    <ToggleButton type="button" onClick={next} aria-label={`${CHOICE_LABEL[choice]} (click to change)`} title="Colour theme: system, light or dark">
      {choice === 'dark' ? '☾' : choice === 'light' ? '☀' : '◐'} {choice}
    </ToggleButton>
  );
}

/** Signed-in user (users mode): name and role, the account page, sign out. */
function User() {
  const { state, signOut } = useSession();
  if (state.status !== 'ready') return null;
  const { me } = state;
  if (me.mode !== 'users' || !me.user) {
    return me.mode === 'token' ? (
      <UserMenu>
        <NavItem to="/account">API token</NavItem>
      </UserMenu>
    ) : null;
  }
  return (
    <UserMenu aria-label="Signed in">
      <NavItem to="/account" title="Account and personal access tokens">
        {me.user.name} <small>({me.user.role})</small>
      </NavItem>
      <button type="button" onClick={() => void signOut()}>
        Sign out
      </button>
    </UserMenu>
  );
}

export function Layout() {
  const { state } = useSession();
  const { pathname, search } = useLocation();
  // users mode, nobody signed in: every page but the sign-in page sends there (and back afterwards).
  if (state.status === 'signed-out' && pathname !== '/signin') return <Navigate to={`/signin?next=${encodeURIComponent(pathname + search)}`} replace />;
  return (
    <>
      <Header>
        <Brand to="/" end>
          <img src={`${import.meta.env.BASE_URL}favicon.svg`} alt="" width={24} height={24} />
          ModelLab
        </Brand>
        {state.status !== 'signed-out' && (
        <Nav aria-label="Main">
          <NavItem to="/" end>
            Dashboard
          </NavItem>
          <NavItem to="/datasets">Datasets</NavItem>
          <NavItem to="/runs">Runs</NavItem>
          <NavItem to="/compare">Compare</NavItem>
          <NavItem to="/models">Models</NavItem>
          {state.status === 'ready' && state.me.user?.role === 'admin' && <NavItem to="/admin">Admin</NavItem>}
        </Nav>
        )}
        <ThemeToggle />
        <User />
      </Header>
      <Main>
        {/* Pages render while /auth/me is on its way or failed (their own calls show errors; in users mode their 401s send to the sign-in page). */}
        <Suspense fallback={<Loading what="page" />}>
          <Outlet />
        </Suspense>
      </Main>
    </>
  );
}
