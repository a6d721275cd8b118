// Worker threads start as plain Node: register tsx's loader, then load the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./evalWorker.ts');
