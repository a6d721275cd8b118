/** `npm run dev`: the API on PORT (default 3000) and Vite with HMR on VITE_PORT (default 5173), proxying /api. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createServer } from 'vite';
import { PROJECT_ROOT } from './config';

const api = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'api/server.ts'), '--api-only'], {
  stdio: 'inherit',
  env: process.env,
});
api.on('exit', (code) => process.exit(code ?? 1));

const vite = await createServer({ configFile: path.join(PROJECT_ROOT, 'vite.config.ts') });
await vite.listen(Number(process.env.VITE_PORT ?? 5173));
vite.printUrls();

const stop = () => {
  api.kill('SIGTERM');
  void vite.close();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
