/**
 * Named views of the runs table per experiment: the filter, sort, status and columns under a name
 * (kept as the experiment's `modellab.view.<name>` tags, so everyone on the server sees them).
 */
import { type FormEvent, useState } from 'react';
import { client } from '../../apiClient';
import { VIEW_TAG_PREFIX } from '../../shared/contract/schemas';
import type { ExperimentSummary } from '../../shared/contract/types';
import { Button, InlineError } from '../ui';
import { ExperimentPicker } from './RunsTable.styles';

interface Props {
  experiment: ExperimentSummary;
  /** The current view as a query string (without the experiment). */
  query: string;
  onApply: (query: string) => void;
  onChanged: () => void;
}

export function SavedViews({ experiment, query, onApply, onChanged }: Props) {
  const [error, setError] = useState<string | null>(null);
  const views = Object.entries(experiment.tags)
    .filter(([key]) => key.startsWith(VIEW_TAG_PREFIX))
    .map(([key, value]) => ({ name: key.slice(VIEW_TAG_PREFIX.length), query: value }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const current = views.find((v) => v.query === query)?.name ?? '';

  const act = async (work: () => Promise<unknown>) => {
    setError(null);
    try {
      await work();
      onChanged();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const save = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const name = String(new FormData(form).get('viewName') ?? '').trim();
    if (name) void act(() => client.saveRunsView(experiment.id, name, query)).then(() => form.reset());
  };

  return (
    <>
      <ExperimentPicker>
        View
        <select aria-label="Saved view" value={current} onChange={(e) => onApply(views.find((v) => v.name === e.target.value)?.query ?? '')}>
          <option value="">{views.length ? '(this one)' : '(none saved)'}</option>
          {views.map((v) => (
            <option key={v.name} value={v.name}>
              {v.name}
            </option>
          ))}
        </select>
      </ExperimentPicker>
      {current && (
        <Button type="button" onClick={() => void act(() => client.deleteRunsView(experiment.id, current))}>
          Delete view
        </Button>
      )}
      <form onSubmit={save} aria-label="Save this view" style={{ display: 'flex', gap: 4 }}>
        <input name="viewName" aria-label="View name" placeholder="view name" maxLength={100} pattern="[\w .\-]+" required />
        <Button type="submit">Save view</Button>
      </form>
      {error && <InlineError role="alert">{error}</InlineError>}
    </>
  );
}
