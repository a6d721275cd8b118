/** The ModelLab app: routes under /modellab. */
import { lazy } from 'react';
import { createBrowserRouter, RouterProvider } from 'react-router-dom';
import { ThemeProvider } from 'styled-components';
import { GlobalStyle, Layout } from '../../components/Layout';
import { theme } from '../../theme';
import { UI_BASE } from '../../utils/modellab/constants';
import NotFound from './NotFound';

// Pages load on demand, so the charting library is fetched only by pages that draw charts.
const Dashboard = lazy(() => import('./Dashboard'));
const Datasets = lazy(() => import('./Datasets'));
const DatasetDetail = lazy(() => import('./DatasetDetail'));
const Runs = lazy(() => import('./Runs'));
const RunDetail = lazy(() => import('./RunDetail'));
const Compare = lazy(() => import('./Compare'));

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
