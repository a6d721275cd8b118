import { useEffect, useRef } from 'react';
import { subscribeEvents, type LiveEvent, type LiveEventType } from '../apiClient';

/**
 * Calls `onEvent` for live events of the given types, at most once per `throttleMs` (the last event
 * of a burst is delivered), so a run logging hundreds of batches does not re-render hundreds of times.
 */
export function useLiveEvents(types: LiveEventType[], onEvent: (event: LiveEvent) => void, throttleMs = 500, filter?: (event: LiveEvent) => boolean): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const accept = useRef(filter);
  accept.current = filter;
  const key = types.join(',');
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let last: LiveEvent | null = null;
    let lastFired = 0;
    const fire = () => {
      timer = null;
      lastFired = Date.now();
      if (last) handler.current(last);
      last = null;
    };
    const unsubscribe = subscribeEvents((event) => {
      if (!key.split(',').includes(event.type)) return;
      if (accept.current && !accept.current(event)) return;
      last = event;
      if (timer) return;
      const wait = Math.max(0, throttleMs - (Date.now() - lastFired));
      timer = setTimeout(fire, wait);
    });
    return () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    };
  }, [key, throttleMs]);
}
