/** Serves the built React app under /modellab, with deep links answered by index.html. */
import path from 'node:path';
import express, { type Express } from 'express';
import { UI_BASE } from '../src/shared/contract/constants';

export function serveClient(app: Express, clientDir: string): void {
  const indexHtml = path.join(clientDir, 'index.html');
  app.get('/', (_req, res) => res.redirect(302, `${UI_BASE}/`));
  app.use(
    `${UI_BASE}/assets`,
    express.static(path.join(clientDir, 'assets'), { immutable: true, maxAge: '1y', index: false, fallthrough: true }),
  );
  app.use(UI_BASE, express.static(clientDir, { index: false, maxAge: 0, redirect: false }));
  // Any /modellab path that is not a file is a client-side route: answer the app and let React Router decide.
  app.get(`${UI_BASE}{/*rest}`, (req, res, next) => {
    if (path.extname(req.path) !== '') return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(indexHtml);
  });
}
