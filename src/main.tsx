import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import ModelLab from './pages/ModelLab';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ModelLab />
  </StrictMode>,
);
