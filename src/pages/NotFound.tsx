import { Link, useLocation } from 'react-router-dom';
import { Card, PageTitle } from '../components/ui';

export default function NotFound() {
  const { pathname } = useLocation();
  return (
    <>
      <PageTitle>Page not found</PageTitle>
      <Card>
        <p>
          There is no page at <code>{pathname}</code>.
        </p>
        <Link to="/">Go to the dashboard</Link>
      </Card>
    </>
  );
}
