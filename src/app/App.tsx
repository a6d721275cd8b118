/** The ModelLab app: routes under /modellab. */
import type { ComponentType } from 'react';
import { createBrowserRouter, RouterProvider } from 'react-router-dom';
import { GlobalStyle, Layout } from './Layout';
import { ThemeModeProvider } from './themeMode';
import { SessionProvider } from './session';
import { UI_BASE } from '../shared/contract/constants';
import NotFound from '../pages/NotFound';
import { prefetchFirstPage, runsQueryOf } from '../hooks/usePagedRuns';

/**
 * Pages load on demand, so the charting library is fetched only by pages that draw charts. They are
 * route `lazy` modules, which the router loads before it renders the route — not React.lazy under a
 * Suspense boundary: React holds back revealing a boundary's content for 300 ms after its fallback
 * showed, which was most of the wait for the first rows of the Runs page (measured in Chromium: the
 * page's chunk arrived at ~400 ms, its first request left at ~750 ms).
 */
type PageModule = { default: ComponentType };
const page = (load: () => Promise<PageModule>) => async () => ({ Component: (await load()).default });

const router = createBrowserRouter(
  [
    {
      element: <Layout />,
      HydrateFallback: () => null,
      children: [
        { index: true, lazy: page(() => import('../pages/Dashboard')) },
        { path: 'datasets', lazy: page(() => import('../pages/Datasets')) },
        { path: 'datasets/:id', lazy: page(() => import('../pages/DatasetDetail')) },
        {
          path: 'runs',
          // Runs before and beside loading the page's code; returns at once (the page shows its own loading state).
          loader: ({ request }) => {
            prefetchFirstPage(runsQueryOf(new URL(request.url).searchParams));
            return null;
          },
          lazy: page(() => import('../pages/Runs')),
        },
        { path: 'runs/:id', lazy: page(() => import('../pages/RunDetail')) },
        { path: 'compare', lazy: page(() => import('../pages/Compare')) },
        { path: 'models', lazy: page(() => import('../pages/Models')) },
        { path: 'models/:name', lazy: page(() => import('../pages/ModelDetail')) },
        { path: 'account', lazy: page(() => import('../pages/Account')) },
        { path: 'admin', lazy: page(() => import('../pages/Admin')) },
        { path: 'signin', lazy: page(() => import('../pages/SignIn')) },
        { path: '*', element: <NotFound /> },
      ],
    },
  ],
  { basename: UI_BASE },
);

export default function ModelLab() {
  return (
    <ThemeModeProvider>
      <GlobalStyle />
      <SessionProvider>
        <RouterProvider router={router} />
      </SessionProvider>
    </ThemeModeProvider>
  );
}
