/**
 * "Profile an endpoint": the server measures it (POST /runs/:id/profile) while the form shows the
 * live `profile.progress` events; the host must be on the server's MODELLAB_PROFILE_ALLOWED_HOSTS.
 */
import { useState, type FormEvent } from 'react';
import styled from 'styled-components';
import { useLiveEvents } from '../../hooks/useLiveEvents';
import { client } from '../../apiClient';
import type { ProfileInput, StoredLatency } from '../../shared/contract/types';
import { Button, Card, CardTitle, Field, InlineError, Mono } from '../ui';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

const Grid = styled.div`
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(150px, 1fr));
  gap: ${({ theme }) => theme.space(3)};
  margin-bottom: ${({ theme }) => theme.space(3)};
  .wide {
    grid-column: 1 / -1;
  }
  textarea {
    font-family: ${({ theme }) => theme.fonts.mono};
    min-height: 90px;
  }
`;

const Progress = styled.p`
  margin: ${({ theme }) => theme.space(2)} 0 0;
  color: ${({ theme }) => theme.colors.muted};
`;

/** Parses "Name: value" lines; returns the headers or the first bad line. */
function headerLines(text: string): { value?: Record<string, string>; error?: string } {
  const out: Record<string, string> = {};
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return { error: `'${line}' is not 'Name: value'` };
    out[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return { value: out };
}

/** A whole number in [min, max] from a text field, or an error message. */
function wholeNumber(text: string, min: number, max: number): { value?: number; error?: string } {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) return { error: `a whole number from ${min} to ${max.toLocaleString('en-US')}` };
  return { value: n };
}

export function ProfileForm({ runId, onDone }: { runId: string; onDone: (result: StoredLatency) => void }) {
  const [url, setUrl] = useState('http://127.0.0.1:8000/predict');
  const [method, setMethod] = useState<(typeof METHODS)[number]>('POST');
  const [headers, setHeaders] = useState('Content-Type: application/json');
  const [body, setBody] = useState('{"inputs": [[0.1, 0.2, 0.3]]}');
  const [warmup, setWarmup] = useState('20');
  const [concurrency, setConcurrency] = useState('4');
  const [stopBy, setStopBy] = useState<'requests' | 'duration'>('requests');
  const [requests, setRequests] = useState('1000');
  const [seconds, setSeconds] = useState('10');
  const [rate, setRate] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [progress, setProgress] = useState<{ done: number; errors: number; elapsedMs: number } | null>(null);

  useLiveEvents(
    ['profile.progress'],
    (event) => setProgress(event.data as { done: number; errors: number; elapsedMs: number }),
    250,
    (event) => event.data.runId === runId,
  );

  const hasBody = method !== 'GET' && method !== 'HEAD';
  const hd = headerLines(headers);
  const wu = wholeNumber(warmup, 0, 100_000);
  const cc = wholeNumber(concurrency, 1, 1024);
  const rq = wholeNumber(requests, 1, 10_000_000);
  const sec = Number(seconds);
  const secError = !(sec > 0 && sec <= 600) ? 'seconds, more than 0 and at most 600' : null;
  const rateValue = rate.trim() === '' ? undefined : Number(rate);
  const rateError = rateValue !== undefined && !(rateValue > 0 && rateValue <= 100_000) ? 'requests per second, more than 0 (or empty for closed loop)' : null;
  let urlError: string | null = null;
  try {
    if (!/^https?:$/.test(new URL(url).protocol)) urlError = 'must be an http or https URL';
  } catch {
    urlError = 'not a URL';
  }
  const invalid = !!urlError || !!hd.error || !!wu.error || !!cc.error || (stopBy === 'requests' ? !!rq.error : !!secError) || !!rateError;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (invalid || busy) return;
    setBusy(true);
    setError(null);
    setProgress(null);
    // A body that is JSON goes as typed, labelled as JSON unless a header already says what it is.
    const isJson = (() => {
      try {
        const parsed: unknown = JSON.parse(body);
        return typeof parsed === 'object' && parsed !== null;
      } catch {
        return false;
      }
    })();
    const headerValues = { ...(hasBody && isJson && !Object.keys(hd.value!).some((h) => h.toLowerCase() === 'content-type') && { 'content-type': 'application/json' }), ...hd.value! };
    const input: ProfileInput = {
      target: { url, method, ...(Object.keys(headerValues).length && { headers: headerValues }), ...(hasBody && body !== '' && { body }) },
      warmup: wu.value!,
      concurrency: cc.value!,
      ...(stopBy === 'requests' ? { requests: rq.value! } : { durationMs: Math.round(sec * 1000) }),
      ...(rateValue !== undefined && { rateRps: rateValue }),
    };
    try {
      onDone(await client.profile(runId, input));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (message: string | null | undefined) => (message ? <InlineError role="alert">{message}</InlineError> : null);
  return (
    <Card>
      <CardTitle>Profile an endpoint</CardTitle>
      <form onSubmit={submit} aria-label="Profile an endpoint">
        <Grid>
          <Field className="wide">
            URL
            <input value={url} onChange={(e) => setUrl(e.target.value)} inputMode="url" spellCheck={false} />
            {fieldError(urlError)}
          </Field>
          <Field>
            Method
            <select value={method} onChange={(e) => setMethod(e.target.value as (typeof METHODS)[number])}>
              {METHODS.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </Field>
          <Field>
            Warmup requests
            <input value={warmup} onChange={(e) => setWarmup(e.target.value)} inputMode="numeric" />
            {fieldError(wu.error)}
          </Field>
          <Field>
            Concurrency
            <input value={concurrency} onChange={(e) => setConcurrency(e.target.value)} inputMode="numeric" />
            {fieldError(cc.error)}
          </Field>
          <Field>
            Stop after
            <select value={stopBy} onChange={(e) => setStopBy(e.target.value as 'requests' | 'duration')}>
              <option value="requests">requests</option>
              <option value="duration">duration</option>
            </select>
          </Field>
          {stopBy === 'requests' ? (
            <Field>
              Requests
              <input value={requests} onChange={(e) => setRequests(e.target.value)} inputMode="numeric" />
              {fieldError(rq.error)}
            </Field>
          ) : (
            <Field>
              Duration (s)
              <input value={seconds} onChange={(e) => setSeconds(e.target.value)} inputMode="decimal" />
              {fieldError(secError)}
            </Field>
          )}
          <Field>
            Rate (req/s)
            <input value={rate} onChange={(e) => setRate(e.target.value)} inputMode="decimal" placeholder="closed loop" title="Open loop: requests are sent at this rate and timed from their intended send time" />
            {fieldError(rateError)}
          </Field>
          <Field className="wide">
            Headers (one per line)
            <textarea value={headers} onChange={(e) => setHeaders(e.target.value)} spellCheck={false} />
            {fieldError(hd.error)}
          </Field>
          {hasBody && (
            <Field className="wide">
              Body
              <textarea value={body} onChange={(e) => setBody(e.target.value)} spellCheck={false} />
            </Field>
          )}
        </Grid>
        <Button type="submit" disabled={invalid || busy}>
          {busy ? 'Profiling…' : 'Run profile'}
        </Button>
        {busy && (
          <Progress role="status" aria-live="polite" data-testid="profile-progress">
            {progress
              ? `${progress.done.toLocaleString('en-US')} requests measured, ${progress.errors} failed, ${(progress.elapsedMs / 1000).toFixed(1)} s`
              : 'Warming up…'}
          </Progress>
        )}
        {error && <InlineError role="alert">{error}</InlineError>}
        <Progress>
          The server sends the requests, so the host must be in its <Mono>MODELLAB_PROFILE_ALLOWED_HOSTS</Mono> (default localhost). From your own machine, use{' '}
          <Mono>npx modellab profile --url … --run {runId}</Mono>.
        </Progress>
      </form>
    </Card>
  );
}
