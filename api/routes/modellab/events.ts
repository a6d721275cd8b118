/** GET /api/modellab/events — Server-Sent Events: the types in src/shared/contract/events.ts. */
import { Router } from 'express';
import type { Services } from '../../services';

const HEARTBEAT_MS = 15_000;

export function eventsRouter({ events }: Pick<Services, 'events'>, heartbeatMs = HEARTBEAT_MS): Router {
  const router = Router();
  router.get('/events', (req, res) => {
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no'); // nginx: do not buffer the stream
    res.flushHeaders();
    res.write('retry: 3000\n\n');
    const unsubscribe = events.subscribe((event) => {
      res.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify({ ...event.data, at: event.at })}\n\n`);
    });
    // A comment line now and then keeps proxies and load balancers from closing an idle stream.
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
    req.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
    });
  });
  return router;
}
