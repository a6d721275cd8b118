/** "Create run": name, description, dataset version, hyperparameters/config as JSON (checked as you type), seed, commit, tags. */
import { useState, type FormEvent } from 'react';
import styled from 'styled-components';
import { useApi } from '../../hooks/useApi';
import { client } from '../../apiClient';
import type { Run } from '../../shared/contract/types';
import { Button, Card, CardTitle, Field, InlineError } from '../ui';

const Grid = styled.div`
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(220px, 1fr));
  gap: ${({ theme }) => theme.space(3)};
  margin-bottom: ${({ theme }) => theme.space(3)};
  textarea {
    font-family: ${({ theme }) => theme.fonts.mono};
    min-height: 110px;
  }
`;

/** Parses a JSON object field; returns the object or an error message. */
function jsonObject(text: string): { value?: Record<string, unknown>; error?: string } {
  if (text.trim() === '') return { value: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'must be a JSON object, e.g. {"lr": 0.01}' };
    return { value: value as Record<string, unknown> };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** "a=1, b=two" → {a: "1", b: "two"} */
function tagMap(text: string): { value?: Record<string, string>; error?: string } {
  const out: Record<string, string> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { error: `'${part}' is not key=value` };
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return { value: out };
}

export function CreateRunForm({ onCreated, onCancel, experimentId: initialExperiment }: { onCreated: (run: Run) => void; onCancel: () => void; experimentId?: string | undefined }) {
  const datasets = useApi(() => client.listDatasets({ limit: 500 }), []);
  const experiments = useApi(() => client.listExperiments(), []);
  const [experimentId, setExperimentId] = useState(initialExperiment ?? '0');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [datasetId, setDatasetId] = useState('');
  const [hyperparameters, setHyperparameters] = useState('{\n  "lr": 0.001\n}');
  const [config, setConfig] = useState('');
  const [seed, setSeed] = useState('');
  const [gitCommit, setGitCommit] = useState('');
  const [tags, setTags] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const hp = jsonObject(hyperparameters);
  const cfg = jsonObject(config);
  const tg = tagMap(tags);
  const seedError = seed.trim() !== '' && !/^\d+$/.test(seed.trim()) ? 'must be a whole number' : null;
  const invalid = !name.trim() || !!hp.error || !!cfg.error || !!tg.error || !!seedError;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (invalid) return;
    setBusy(true);
    setError(null);
    try {
      const run = await client.createRun({
        name: name.trim(),
        experimentId,
        description,
        datasetId: datasetId || null,
        hyperparameters: hp.value!,
        config: cfg.value!,
        tags: tg.value!,
        ...(seed.trim() && { seed: Number(seed) }),
        ...(gitCommit.trim() && { gitCommit: gitCommit.trim() }),
      });
      onCreated(run);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card as="form" onSubmit={(e: FormEvent) => void submit(e)} aria-label="Create run">
      <CardTitle>Create run</CardTitle>
      <Grid>
        <Field>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={256} required />
        </Field>
        <Field>
          Description
          <input value={description} onChange={(e) => setDescription(e.target.value)} />
        </Field>
        <Field>
          Experiment
          <select value={experimentId} onChange={(e) => setExperimentId(e.target.value)}>
            {(experiments.data?.items ?? [{ id: '0', name: 'Default' }]).map((x) => (
              <option key={x.id} value={x.id}>
                {x.name}
              </option>
            ))}
          </select>
        </Field>
        <Field>
          Dataset version
          <select value={datasetId} onChange={(e) => setDatasetId(e.target.value)}>
            <option value="">none</option>
            {datasets.data?.items.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name} v{d.version}
              </option>
            ))}
          </select>
        </Field>
        <Field>
          Tags (key=value, comma separated)
          <input value={tags} onChange={(e) => setTags(e.target.value)} />
          {tg.error && <InlineError>{tg.error}</InlineError>}
        </Field>
        <Field>
          Hyperparameters (JSON)
          <textarea value={hyperparameters} onChange={(e) => setHyperparameters(e.target.value)} spellCheck={false} />
          {hp.error && <InlineError>Hyperparameters {hp.error}</InlineError>}
        </Field>
        <Field>
          Config (JSON)
          <textarea value={config} onChange={(e) => setConfig(e.target.value)} spellCheck={false} placeholder="{}" />
          {cfg.error && <InlineError>Config {cfg.error}</InlineError>}
        </Field>
        <Field>
          Seed (random when empty)
          <input value={seed} onChange={(e) => setSeed(e.target.value)} inputMode="numeric" />
          {seedError && <InlineError>Seed {seedError}</InlineError>}
        </Field>
        <Field>
          Git commit (server's HEAD when empty)
          <input value={gitCommit} onChange={(e) => setGitCommit(e.target.value)} />
        </Field>
      </Grid>
      {error && <InlineError role="alert">{error}</InlineError>}
      <Button type="submit" disabled={invalid || busy}>
        Create
      </Button>{' '}
      <Button type="button" onClick={onCancel} style={{ background: 'transparent', color: 'inherit' }}>
        Cancel
      </Button>
    </Card>
  );
}
