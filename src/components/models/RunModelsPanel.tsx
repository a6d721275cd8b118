/**
 * A run's Models tab: the models it logged (MLflow's log_model, or ModelLab's API) with their files,
 * the versions registered from each, and a Register action (creating the registered model if new).
 */
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import styled from 'styled-components';
import { Button, Card, CardTitle, Empty, ErrorState, Field, formatBytes, formatDate, formatNumber, InlineError, Loading, Mono, Table, TableScroll } from '../ui';
import { useApi } from '../../hooks/useApi';
import { useLiveEvents } from '../../hooks/useLiveEvents';
import { client } from '../../apiClient';
import { AppError } from '../../shared/errors';
import type { LoggedModel, LoggedModelView } from '../../shared/contract/registry';

const RegisterRow = styled.form`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => theme.space(2)};
  align-items: flex-end;
  margin-top: ${({ theme }) => theme.space(3)};
  > label {
    flex: 1 1 220px;
  }
`;

function RegisterForm({ model, names, onRegistered }: { model: LoggedModel; names: string[]; onRegistered: () => void }) {
  const [name, setName] = useState(names[0] ?? model.name);
  const [state, setState] = useState<{ done?: { name: string; version: number }; error?: string; busy?: boolean }>({});
  const register = async (e: FormEvent) => {
    e.preventDefault();
    const target = name.trim();
    setState({ busy: true });
    try {
      await client.createModel(target).catch((error: unknown) => {
        if (!(error instanceof AppError && error.status === 409)) throw error; // it exists: register into it
      });
      const version = await client.registerVersion(target, { modelId: model.id });
      setState({ done: { name: target, version: version.version } });
      onRegistered();
    } catch (error) {
      setState({ error: (error as Error).message });
    }
  };
  return (
    <>
      <RegisterRow onSubmit={(e) => void register(e)} data-testid={`register-${model.id}`}>
        <Field>
          Registered model
          <input value={name} onChange={(e) => setName(e.target.value)} list={`models-${model.id}`} aria-label="Registered model name" required />
          <datalist id={`models-${model.id}`}>
            {names.map((n) => (
              <option key={n} value={n} />
            ))}
          </datalist>
        </Field>
        <Button type="submit" disabled={state.busy || !name.trim()}>
          Register
        </Button>
      </RegisterRow>
      {state.done && (
        <p role="status">
          Registered as{' '}
          <Link to={`/models/${encodeURIComponent(state.done.name)}`}>
            {state.done.name} v{state.done.version}
          </Link>
        </p>
      )}
      {state.error && <InlineError role="alert">{state.error}</InlineError>}
    </>
  );
}

function ModelFiles({ id }: { id: string }) {
  const files = useApi(() => client.loggedModelFiles(id), [id]);
  if (files.error) return <ErrorState error={files.error} onRetry={files.reload} />;
  if (!files.data) return <Loading what="files" />;
  if (files.data.items.length === 0) return <p>No files yet (a model still being uploaded is pending).</p>;
  return (
    <TableScroll>
      <Table>
        <thead>
          <tr>
            <th>File</th>
            <th>Size</th>
            <th>SHA-256</th>
          </tr>
        </thead>
        <tbody>
          {files.data.items.map((f) => (
            <tr key={f.path}>
              <td>
                <a href={client.loggedModelFileUrl(id, f.path)}>{f.path.replace(/^other\//, '')}</a>
              </td>
              <td>{formatBytes(f.size)}</td>
              <td>
                <Mono title={f.sha256}>{f.sha256.slice(0, 12)}</Mono>
              </td>
            </tr>
          ))}
        </tbody>
      </Table>
    </TableScroll>
  );
}

/** What the model was trained on and whether its run was evaluated. */
function SourceFacts({ model }: { model: LoggedModelView }) {
  const source = model.sourceRun;
  if (!source) return null;
  return (
    <>
      {source.datasetId && (
        <>
          {' '}
          · dataset <Link to={`/datasets/${source.datasetId}`}>{source.datasetId.slice(0, 8)}</Link>
        </>
      )}
      {' · '}
      {source.evaluated ? 'evaluated (see the Evaluation tab)' : 'not evaluated yet'}
    </>
  );
}

export function RunModelsPanel({ runId }: { runId: string }) {
  const data = useApi(async () => {
    const [logged, registry] = await Promise.all([client.loggedModels({ runId }), client.listModels({ limit: 1000 })]);
    // Which versions come from this run's models: one lookup per registered model that has versions.
    const versions = await Promise.all(registry.items.filter((m) => m.versionCount > 0).map((m) => client.listModelVersions(m.name, { filter: `runId = '${runId}'` })));
    return { logged: logged.items, names: registry.items.map((m) => m.name), versions: versions.flatMap((v) => v.items) };
  }, [runId]);
  useLiveEvents(['logged_model.created', 'logged_model.updated', 'logged_model.deleted', 'model_version.created', 'model_version.deleted', 'artifact.created'], () => data.reload(), 500);

  if (data.error) return <ErrorState error={data.error} onRetry={data.reload} />;
  if (!data.data) return <Loading what="models" />;
  if (data.data.logged.length === 0) {
    return (
      <Empty>
        This run has logged no models. <Mono>mlflow.sklearn.log_model(model, name=&quot;model&quot;)</Mono> inside the run, or POST /api/modellab/logged-models, adds one here.
      </Empty>
    );
  }
  return (
    <>
      {data.data.logged.map((m) => {
        const registered = data.data!.versions.filter((v) => v.modelId === m.id);
        return (
          <Card key={m.id} data-testid={`logged-model-${m.name}`}>
            <CardTitle>
              {m.name} <Mono>{m.id}</Mono>
            </CardTitle>
            <p>
              Status <strong>{m.status}</strong>
              {m.modelType && <> · type {m.modelType}</>} · logged {formatDate(m.createdAt)}
              <SourceFacts model={m} />
              {Object.keys(m.metrics).length > 0 && (
                <>
                  {' '}
                  · {Object.entries(m.metrics).map(([k, v]) => `${k} ${formatNumber(v)}`).join(', ')}
                </>
              )}
            </p>
            {registered.length > 0 && (
              <p>
                Registered as{' '}
                {registered.map((v, i) => (
                  <span key={`${v.name}/${v.version}`}>
                    {i > 0 && ', '}
                    <Link to={`/models/${encodeURIComponent(v.name)}`}>
                      {v.name} v{v.version}
                    </Link>
                  </span>
                ))}
              </p>
            )}
            <ModelFiles id={m.id} />
            <RegisterForm model={m} names={data.data!.names} onRegistered={data.reload} />
          </Card>
        );
      })}
    </>
  );
}
