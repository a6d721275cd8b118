/** GET /api/modellab/events — Server-Sent Events: the types in src/shared/contract/events.ts. */
import { Router } from 'express';
import type { ModelLabEvent, Services } from '../../services';
import { principalOf } from '../../http/access';
import { asCaller } from '../../services/caller';

const HEARTBEAT_MS = 15_000;

/**
 * Users mode: each event is checked against the subscriber's permissions (services/permissions),
 * in the subscriber's name, and written in the order published.
 */
export function eventsRouter({ events, permissions }: Pick<Services, 'events' | 'permissions'>, heartbeatMs = HEARTBEAT_MS): Router {
  const router = Router();
  router.get('/events', (req, res) => {
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no'); // nginx: do not buffer the stream
    res.flushHeaders();
    res.write('retry: 3000\n\n');
    const caller = { user: principalOf(res)?.user ?? null, address: req.ip ?? '' };
    const send = (event: ModelLabEvent) => res.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify({ ...event.data, at: event.at })}\n\n`);
    let queue = Promise.resolve();
    const unsubscribe = events.subscribe((event) => {
      if (!caller.user) return void send(event);
      queue = queue.then(() => asCaller(caller, () => permissions.maySee(event.type, event.data)).then((shown) => void (shown && !res.writableEnded && send(event)), () => undefined));
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
