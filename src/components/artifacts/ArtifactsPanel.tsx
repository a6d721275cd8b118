/** The run page's Artifacts tab: upload (drop zone, category, progress), list by category, previews, plots gallery. */
import Papa from 'papaparse';
import { useState } from 'react';
import styled from 'styled-components';
import { useApi } from '../../hooks/useApi';
import { defaultCategory } from '../../shared/artifactPaths';
import { client } from '../../apiClient';
import { ARTIFACT_CATEGORIES } from '../../shared/contract/constants';
import type { Artifact } from '../../shared/contract/types';
import { RowsTable } from '../datasets/SchemaTable';
import { Button, Card, CardTitle, Empty, ErrorState, Field, formatBytes, formatDate, InlineError, Loading, Mono, Table, TableScroll } from '../ui';
import { DropZone } from '../DropZone';
import { ValueTree } from '../ValueTree';
import { capDepth, MAX_JSON_DEPTH } from '../../shared/jsonDepth';
import { useLiveEvents } from '../../hooks/useLiveEvents';

const Row = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => theme.space(3)};
  align-items: flex-end;
  margin-top: ${({ theme }) => theme.space(3)};
`;

const Gallery = styled.div`
  display: grid;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 220px), 1fr));
  gap: ${({ theme }) => theme.space(3)};
  figure {
    margin: 0;
    min-width: 0;
    border: 1px solid ${({ theme }) => theme.colors.border};
    border-radius: ${({ theme }) => theme.radius};
    padding: ${({ theme }) => theme.space(2)};
    background: ${({ theme }) => theme.colors.surface};
  }
  img {
    width: 100%;
    height: 160px;
    object-fit: contain;
  }
  figcaption {
    font-size: 0.8rem;
    overflow-wrap: anywhere;
  }
`;

const PreviewBox = styled.div`
  max-height: 480px;
  overflow: auto;
  pre {
    margin: 0;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
    font-size: 0.85rem;
  }
  img {
    max-width: 100%;
  }
`;

const LinkButton = styled.button`
  all: unset;
  cursor: pointer;
  color: ${({ theme }) => theme.colors.primary};
  text-decoration: underline;
  margin-right: ${({ theme }) => theme.space(2)};
`;

const isImage = (a: Artifact) => a.contentType.startsWith('image/');
const extension = (p: string) => p.slice(p.lastIndexOf('.') + 1).toLowerCase();

function Preview({ runId, artifact }: { runId: string; artifact: Artifact }) {
  const textual = ['json', 'txt', 'md', 'csv', 'log', 'yaml', 'yml', 'html'].includes(extension(artifact.path));
  const text = useApi(() => (textual && !isImage(artifact) ? client.artifactText(runId, artifact.path) : Promise.resolve(null)), [runId, artifact.path, artifact.sha256]);
  if (isImage(artifact)) return <img src={client.artifactUrl(runId, artifact.path)} alt={artifact.path} data-testid="artifact-preview-image" />;
  if (!textual) return <Empty>No preview for this file type; download it instead.</Empty>;
  if (text.loading) return <Loading what="preview" />;
  if (text.error) return <ErrorState error={text.error} onRetry={text.reload} />;
  if (!text.data) return null;
  const { text: content, truncated } = text.data;
  const note = truncated ? <p>Showing the first 100 KB.</p> : null;
  const ext = extension(artifact.path);
  if (ext === 'json' && !truncated) {
    try {
      const value: unknown = JSON.parse(content);
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? <ValueTree value={value as Record<string, unknown>} /> : <pre>{JSON.stringify(capDepth(value, MAX_JSON_DEPTH), null, 2)}</pre>;
    } catch {
      /* shown as text below */
    }
  }
  if (ext === 'csv') {
    const parsed = Papa.parse<Record<string, unknown>>(content, { header: true, skipEmptyLines: true, preview: 200 });
    return (
      <>
        {note}
        <RowsTable columns={parsed.meta.fields ?? []} rows={parsed.data} testId="artifact-preview-csv" />
      </>
    );
  }
  return (
    <>
      {note}
      <pre data-testid="artifact-preview-text">{content}</pre>
    </>
  );
}

export function ArtifactsPanel({ runId }: { runId: string }) {
  const list = useApi(() => client.listArtifacts(runId), [runId]);
  // Files added or removed elsewhere (another tab, a training script through MLflow) show up here too.
  useLiveEvents(['artifact.created', 'artifact.deleted'], () => list.reload(), 1000, (event) => event.data.runId === runId);
  const [file, setFile] = useState<File | null>(null);
  const [category, setCategory] = useState('');
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [previewing, setPreviewing] = useState<Artifact | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);

  const choose = (chosen: File) => {
    setFile(chosen);
    setCategory(defaultCategory(chosen.name));
    setError(null);
  };

  const upload = async (overwrite = false) => {
    if (!file) return;
    // Ask before replacing: the list says whether that path is taken (the server checks again: 409).
    if (!overwrite && list.data?.items.some((a) => a.path === `${category}/${file.name}`)) {
      setError(`Artifact '${category}/${file.name}' already exists.`);
      return;
    }
    setProgress(0);
    setError(null);
    try {
      const artifact = await client.uploadArtifact(runId, file, { category }, setProgress, overwrite);
      setFile(null);
      list.reload();
      if (isImage(artifact)) setPreviewing(artifact);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setProgress(null);
    }
  };

  const remove = async (path: string) => {
    try {
      await client.deleteArtifact(runId, path);
      setConfirming(null);
      if (previewing?.path === path) setPreviewing(null);
      list.reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const items = list.data?.items ?? [];
  const plots = items.filter((a) => a.category === 'plots' && isImage(a));

  return (
    <>
      <Card>
        <CardTitle>Upload an artifact</CardTitle>
        <DropZone testId="artifact-dropzone" onFile={choose}>
          {file ? (
            <>
              <strong>{file.name}</strong> ({formatBytes(file.size)})
            </>
          ) : (
            'Drop a checkpoint, plot or report here, or click to choose a file (up to the server limit, 500 MB by default)'
          )}
        </DropZone>
        {file && (
          <Row>
            <Field>
              Category
              <select value={category} onChange={(e) => setCategory(e.target.value)}>
                {ARTIFACT_CATEGORIES.map((c) => (
                  <option key={c}>{c}</option>
                ))}
              </select>
            </Field>
            <Button type="button" onClick={() => void upload()} disabled={progress !== null}>
              Upload
            </Button>
            {progress !== null && <progress max={1} value={progress} aria-label="Upload progress" style={{ flex: '1 1 160px' }} />}
          </Row>
        )}
        {error && (
          <InlineError role="alert">
            {error}{' '}
            {/already exists/.test(error) && (
              <Button type="button" onClick={() => void upload(true)}>
                Replace it
              </Button>
            )}
          </InlineError>
        )}
      </Card>

      {plots.length > 0 && (
        <Card>
          <CardTitle>Plots</CardTitle>
          <Gallery data-testid="plots-gallery">
            {plots.map((a) => (
              <figure key={a.path}>
                <img src={client.artifactUrl(runId, a.path)} alt={a.path} loading="lazy" />
                <figcaption>{a.path.slice('plots/'.length)}</figcaption>
              </figure>
            ))}
          </Gallery>
        </Card>
      )}

      <Card>
        <CardTitle>Files</CardTitle>
        {list.loading && !list.data && <Loading what="artifacts" />}
        {list.error && <ErrorState error={list.error} onRetry={list.reload} />}
        {list.data && items.length === 0 && <Empty>No artifacts yet.</Empty>}
        {ARTIFACT_CATEGORIES.filter((c) => items.some((a) => a.category === c)).map((c) => (
          <section key={c}>
            <h3>{c}</h3>
            <TableScroll>
              <Table data-testid={`artifacts-${c}`}>
                <thead>
                  <tr>
                    <th>Path</th>
                    <th>Size</th>
                    <th>Uploaded</th>
                    <th>SHA-256</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {items
                    .filter((a) => a.category === c)
                    .map((a) => (
                      <tr key={a.path}>
                        <td>{a.path.slice(c.length + 1)}</td>
                        <td>{formatBytes(a.size)}</td>
                        <td>{formatDate(a.createdAt)}</td>
                        <td>
                          <Mono title={a.sha256}>{a.sha256.slice(0, 12)}</Mono>
                        </td>
                        <td>
                          <LinkButton type="button" onClick={() => setPreviewing(a)}>
                            preview
                          </LinkButton>
                          <a href={client.artifactUrl(runId, a.path)} download style={{ marginRight: 8 }}>
                            download
                          </a>
                          {confirming === a.path ? (
                            <>
                              <LinkButton type="button" onClick={() => void remove(a.path)}>
                                yes, delete
                              </LinkButton>
                              <LinkButton type="button" onClick={() => setConfirming(null)}>
                                cancel
                              </LinkButton>
                            </>
                          ) : (
                            <LinkButton type="button" onClick={() => setConfirming(a.path)}>
                              delete
                            </LinkButton>
                          )}
                        </td>
                      </tr>
                    ))}
                </tbody>
              </Table>
            </TableScroll>
          </section>
        ))}
      </Card>

      {previewing && (
        <Card data-testid="artifact-preview">
          <CardTitle>
            Preview: <Mono>{previewing.path}</Mono>
          </CardTitle>
          <PreviewBox>
            <Preview runId={runId} artifact={previewing} />
          </PreviewBox>
        </Card>
      )}
    </>
  );
}
