/** The ModelLab app: routes under /modellab. */
import { lazy } from 'react';
import { createBrowserRouter, RouterProvider } from 'react-router-dom';
import { ThemeProvider } from 'styled-components';
import { GlobalStyle, Layout } from './Layout';
import { theme } from './theme';
import { UI_BASE } from '../shared/contract/constants';
import NotFound from '../pages/NotFound';

// Pages load on demand, so the charting library is fetched only by pages that draw charts.
const Dashboard = lazy(() => import('../pages/Dashboard'));
const Datasets = lazy(() => import('../pages/Datasets'));
const DatasetDetail = lazy(() => import('../pages/DatasetDetail'));
const Runs = lazy(() => import('../pages/Runs'));
const RunDetail = lazy(() => import('../pages/RunDetail'));
const Compare = lazy(() => import('../pages/Compare'));
const Models = lazy(() => import('../pages/Models'));
const ModelDetail = lazy(() => import('../pages/ModelDetail'));

const router = createBrowserRouter(
  [
    {
      element: <Layout />,
      children: [
        { index: true, element: <Dashboard /> },
        { path: 'datasets', element: <Datasets /> },
        { path: 'datasets/:id', element: <DatasetDetail /> },
        { path: 'runs', element: <Runs /> },
        { path: 'runs/:id', element: <RunDetail /> },
        { path: 'compare', element: <Compare /> },
        { path: 'models', element: <Models /> },
        { path: 'models/:name', element: <ModelDetail /> },
        { path: '*', element: <NotFound /> },
      ],
    },
  ],
  { basename: UI_BASE },
);

export default function ModelLab() {
  return (
    <ThemeProvider theme={theme}>
      <GlobalStyle />
      <RouterProvider router={router} />
    </ThemeProvider>
  );
}
