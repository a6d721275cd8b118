/**
 * Evaluate from a dataset (issue 19): pick a version, map its label column, the prediction column(s)
 * — predicted labels, a score, or one probability column per class — and the slice columns, and
 * evaluate; the server reads the stored file (POST /evaluate with {datasetId, columns}) and refuses
 * a missing column or a type mismatch before any work.
 */
import { type FormEvent, useState } from 'react';
import styled from 'styled-components';
import { client } from '../../apiClient';
import { useApi } from '../../hooks/useApi';
import { useLiveEvents } from '../../hooks/useLiveEvents';
import { Button, Card, CardTitle, Field, InlineError, Loading } from '../ui';

type Kind = 'prediction' | 'score' | 'probabilities';

const Grid = styled.div`
  display: grid;
  grid-template-columns: repeat(auto-fill, minmax(200px, 1fr));
  gap: ${({ theme }) => theme.space(3)};
  margin-bottom: ${({ theme }) => theme.space(3)};
  select[multiple] {
    min-height: 6rem;
  }
`;

const Checks = styled.fieldset`
  border: 1px solid ${({ theme }) => theme.colors.border};
  border-radius: ${({ theme }) => theme.radius};
  margin: 0 0 ${({ theme }) => theme.space(3)};
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => theme.space(3)};
  font-size: 0.9rem;
`;

export function DatasetEvaluateForm({ runId, onDone }: { runId: string; onDone: () => void }) {
  const datasets = useApi(() => client.listDatasets({ limit: 200 }), []);
  const [datasetId, setDatasetId] = useState('');
  const [taskType, setTaskType] = useState<'classification' | 'regression'>('classification');
  const [label, setLabel] = useState('');
  const [kind, setKind] = useState<Kind>('prediction');
  const [prediction, setPrediction] = useState('');
  const [probabilities, setProbabilities] = useState<string[]>([]);
  const [classes, setClasses] = useState('');
  const [slices, setSlices] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  /** The server's evaluation.progress for this run: the file's bytes read, then the evaluating. */
  const [progress, setProgress] = useState<{ phase: 'reading' | 'evaluating'; done: number; total: number } | null>(null);
  useLiveEvents(
    ['evaluation.progress'],
    (event) => setProgress(event.data as { phase: 'reading' | 'evaluating'; done: number; total: number }),
    100,
    (event) => event.data.runId === runId,
  );
  if (datasets.loading && !datasets.data) return <Loading what="datasets" />;
  const versions = datasets.data?.items ?? [];
  if (versions.length === 0) return null;
  const dataset = versions.find((d) => d.id === datasetId);
  const columns = dataset?.schema.columns.map((c) => c.name) ?? [];

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setProgress(null);
    const mapping =
      kind === 'probabilities' ? { probabilities } : kind === 'score' ? { score: prediction } : { prediction };
    try {
      await client.evaluate(runId, {
        datasetId,
        columns: { label, ...mapping, ...(slices.length > 0 && { slices }) },
        config: { taskType, ...(kind === 'probabilities' && { classes: classes.split(',').map((c) => c.trim()).filter(Boolean) }) },
      });
      onDone();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card>
      <CardTitle>Evaluate from a dataset</CardTitle>
      <form onSubmit={(e) => void submit(e)} aria-label="Evaluate from a dataset">
        <Grid>
          <Field>
            Dataset version
            <select aria-label="Dataset version" value={datasetId} onChange={(e) => setDatasetId(e.target.value)} required>
              <option value="">choose…</option>
              {versions.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name} v{d.version} ({d.rowCount.toLocaleString('en-US')} rows)
                </option>
              ))}
            </select>
          </Field>
          <Field>
            Task
            <select aria-label="Task" value={taskType} onChange={(e) => setTaskType(e.target.value as typeof taskType)}>
              <option value="classification">classification</option>
              <option value="regression">regression</option>
            </select>
          </Field>
          <Field>
            Label column
            <select aria-label="Label column" value={label} onChange={(e) => setLabel(e.target.value)} required disabled={!dataset}>
              <option value="" />
              {columns.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </Field>
          <Field>
            Predictions are
            <select aria-label="Predictions are" value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
              <option value="prediction">{taskType === 'regression' ? 'predicted values' : 'predicted labels'}</option>
              {taskType === 'classification' && <option value="score">a score (binary)</option>}
              {taskType === 'classification' && <option value="probabilities">one probability column per class</option>}
            </select>
          </Field>
          {kind === 'probabilities' ? (
            <>
              <Field>
                Probability columns
                <select aria-label="Probability columns" multiple value={probabilities} onChange={(e) => setProbabilities([...e.target.selectedOptions].map((o) => o.value))} disabled={!dataset}>
                  {columns.map((c) => (
                    <option key={c}>{c}</option>
                  ))}
                </select>
              </Field>
              <Field>
                Their classes, in that order
                <input aria-label="Classes" value={classes} onChange={(e) => setClasses(e.target.value)} placeholder="cat, dog, bird" required />
              </Field>
            </>
          ) : (
            <Field>
              {kind === 'score' ? 'Score column' : 'Prediction column'}
              <select aria-label="Prediction column" value={prediction} onChange={(e) => setPrediction(e.target.value)} required disabled={!dataset}>
                <option value="" />
                {columns.map((c) => (
                  <option key={c}>{c}</option>
                ))}
              </select>
            </Field>
          )}
        </Grid>
        {dataset && (
          <Checks>
            <legend>Slice by</legend>
            {columns
              .filter((c) => c !== label && c !== prediction && !probabilities.includes(c))
              .map((c) => (
                <label key={c}>
                  <input type="checkbox" checked={slices.includes(c)} onChange={() => setSlices((s) => (s.includes(c) ? s.filter((x) => x !== c) : [...s, c]))} /> {c}
                </label>
              ))}
          </Checks>
        )}
        <Button type="submit" disabled={busy || !dataset}>
          {busy ? 'Evaluating…' : 'Evaluate'}
        </Button>
        {busy && (
          <span role="status" data-testid="evaluate-progress" style={{ marginLeft: 12 }}>
            {progress?.phase === 'reading' ? (
              <>
                <progress aria-label="Reading the file" value={progress.done} max={progress.total || 1} style={{ verticalAlign: 'middle' }} /> reading the file:{' '}
                {Math.round((100 * progress.done) / (progress.total || 1))}%
              </>
            ) : (
              <>
                <progress aria-label="Evaluating" style={{ verticalAlign: 'middle' }} /> {progress ? 'evaluating (bootstrap intervals)…' : 'starting…'}
              </>
            )}
          </span>
        )}
        {error && <InlineError role="alert">{error}</InlineError>}
      </form>
    </Card>
  );
}
