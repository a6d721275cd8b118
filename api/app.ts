/** createApp(config): the whole Express application, without listening (tests use it directly). */
import express, { type Express } from 'express';
import helmet from 'helmet';
import { API_BASE } from '../src/shared/contract/constants';
import { AppError } from '../src/shared/errors';
import type { Services } from './services';
import type { AppConfig } from './config';
import { errorHandler, jsonBody, limitJsonDepth, requireJsonOrMultipart } from './http';
import { access, callerScope } from './http/access';
import { AUTH_REQUEST_KINDS, authRouter } from './routes/modellab/auth';
import { artifactsRouter } from './routes/modellab/artifacts';
import { compareRouter } from './routes/modellab/compare';
import { datasetsRouter } from './routes/modellab/datasets';
import { eventsRouter } from './routes/modellab/events';
import { experimentsRouter } from './routes/modellab/experiments';
import { healthRouter } from './routes/modellab/health';
import { permissionsRouter } from './routes/modellab/permissions';
import { runsRouter } from './routes/modellab/runs';
import { loggedModelsRouter, modelsRouter } from './routes/modellab/models';
import { mlflowRouter } from './routes/mlflow';
import { serveClient } from './spa';

export interface AppOptions {
  services: Services;
  config: Pick<AppConfig, 'apiToken' | 'jsonLimitBytes' | 'version' | 'maxUploadBytes' | 'maxEvalBytes'> & Partial<Pick<AppConfig, 'profileAllowedHosts' | 'authMode'>>;
  /** Folder with the built client (dist/); omitted → API only. */
  clientDir?: string | null;
  log?: (message: string, error: unknown) => void;
}

export function createApp({ services, config, clientDir, log = console.error }: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // No automatic ETag on JSON answers: hashing every body (60 KB for a page of 50 runs) was a sixth of
  // a list request's server time (measured), for conditional requests no ModelLab client makes.
  // Files keep theirs: downloads set a content ETag themselves, and the client's assets get one from
  // the static file server.
  app.set('etag', false);
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          // styled-components and Recharts write inline styles.
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:', 'blob:'],
          connectSrc: ["'self'"],
          upgradeInsecureRequests: null,
        },
      },
    }),
  );

  const mode = config.authMode ?? (config.apiToken ? 'token' : 'none');
  const accessConfig = { mode, apiToken: config.apiToken, auth: services.auth };
  const api = express.Router();
  api.use(access(accessConfig, { isRead: (req) => ['GET', 'HEAD', 'OPTIONS'].includes(req.method), ...AUTH_REQUEST_KINDS }));
  api.use(requireJsonOrMultipart);
  // Evaluation and latency-sample bodies carry one value per example: their own, larger limit, on those routes only.
  api.post(['/runs/:id/evaluate', '/runs/:id/latency'], jsonBody({ limit: config.maxEvalBytes, type: ['application/json', 'application/*+json'] }));
  api.use(jsonBody({ limit: config.jsonLimitBytes, type: ['application/json', 'application/*+json'] }));
  api.use(limitJsonDepth);
  api.use(callerScope);
  api.use(healthRouter(services, config.version));
  api.use(authRouter(services, mode));
  api.use(eventsRouter(services));
  api.use(compareRouter(services));
  api.use(permissionsRouter(services, mode));
  api.use('/experiments', experimentsRouter(services));
  api.use('/runs', runsRouter(services, log, config.profileAllowedHosts ?? ['localhost', '127.0.0.1', '::1']));
  api.use('/datasets', datasetsRouter(services, config.maxUploadBytes));
  api.use('/artifacts', artifactsRouter(services, config.maxUploadBytes));
  api.use('/models', modelsRouter(services));
  api.use('/logged-models', loggedModelsRouter(services, config.maxUploadBytes));
  api.use((req, _res, next) => next(new AppError(404, 'not_found', `No API route for ${req.method} ${req.originalUrl}`)));
  app.use(API_BASE, api);
  // MLflow's REST API, so MLflow clients log to ModelLab (MLFLOW_TRACKING_URI=http://host:port).
  app.use('/api/2.0', mlflowRouter(services, { ...config, access: accessConfig }, log));
  // MLflow 3's client may probe the server's kind; ModelLab answers as a database-backed server (every endpoint it serves works).
  app.get('/api/3.0/mlflow/server-info', (_req, res) => {
    res.json({ store_type: 'SqlStore' });
  });

  if (clientDir) serveClient(app, clientDir);
  app.use((req, _res, next) => next(new AppError(404, 'not_found', `Nothing at ${req.path}`)));
  app.use(errorHandler(log));
  return app;
}
