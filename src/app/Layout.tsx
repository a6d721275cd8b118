import { Suspense } from 'react';
import { NavLink, Outlet } from 'react-router-dom';
import styled, { createGlobalStyle } from 'styled-components';
import { Loading } from '../components/ui';

export const GlobalStyle = createGlobalStyle`
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

export function Layout() {
  return (
    <>
      <Header>
        <Brand to="/" end>
          <img src={`${import.meta.env.BASE_URL}favicon.svg`} alt="" width={24} height={24} />
          ModelLab
        </Brand>
        <Nav aria-label="Main">
          <NavItem to="/" end>
            Dashboard
          </NavItem>
          <NavItem to="/datasets">Datasets</NavItem>
          <NavItem to="/runs">Runs</NavItem>
          <NavItem to="/compare">Compare</NavItem>
          <NavItem to="/models">Models</NavItem>
        </Nav>
      </Header>
      <Main>
        <Suspense fallback={<Loading what="page" />}>
          <Outlet />
        </Suspense>
      </Main>
    </>
  );
}
