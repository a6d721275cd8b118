/** The ModelLab app: routes under /modellab. */
import { createBrowserRouter, RouterProvider } from 'react-router-dom';
import { ThemeProvider } from 'styled-components';
import { GlobalStyle, Layout } from '../../components/Layout';
import { theme } from '../../theme';
import { UI_BASE } from '../../utils/modellab/constants';
import Compare from './Compare';
import Dashboard from './Dashboard';
import Datasets from './Datasets';
import NotFound from './NotFound';
import RunDetail from './RunDetail';
import Runs from './Runs';

const router = createBrowserRouter(
  [
    {
      element: <Layout />,
      children: [
        { index: true, element: <Dashboard /> },
        { path: 'datasets', element: <Datasets /> },
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
