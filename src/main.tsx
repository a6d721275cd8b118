import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import ModelLab from './app/App';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ModelLab />
  </StrictMode>,
);
