/**
 * Drop or pick a CSV/TSV/JSON/JSON Lines file, see its first rows and guessed types (the same
 * detector as the server, on the file's first 256 KB), then upload it with progress.
 */
import { useState } from 'react';
import styled from 'styled-components';
import { client } from '../../apiClient';
import { DatasetDetector, formatOfFilename, FORMAT_BY_EXTENSION, type DatasetDetection } from '../../shared/schemaDetector';
import type { DatasetUploadResult } from '../../shared/contract/types';
import { DropZone } from '../DropZone';
import { Button, Card, CardTitle, Field, formatBytes, InlineError } from '../ui';
import { RowsTable, SchemaTable } from './SchemaTable';

const PREVIEW_BYTES = 256 * 1024;
const PREVIEW_ROWS = 10;
const ACCEPT = Object.keys(FORMAT_BY_EXTENSION).map((e) => `.${e}`).join(',');

const Fields = styled.div`
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(200px, 1fr));
  gap: ${({ theme }) => theme.space(3)};
  margin: ${({ theme }) => theme.space(4)} 0;
`;

const Progress = styled.progress`
  width: 100%;
  height: 10px;
`;

/** Names the two preview tables (guessed types, then the rows) so they do not run into each other. */
const PreviewHeading = styled.h3`
  font-size: 0.9rem;
  font-weight: 600;
  color: ${({ theme }) => theme.colors.muted};
  margin: ${({ theme }) => theme.space(4)} 0 ${({ theme }) => theme.space(1)};
`;

const Row = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => theme.space(3)};
  align-items: center;
`;

async function previewInBrowser(file: File): Promise<DatasetDetection> {
  const format = formatOfFilename(file.name);
  if (!format) throw new Error(`'${file.name}' is not a supported dataset file (${ACCEPT})`);
  const head = new Uint8Array(await file.slice(0, PREVIEW_BYTES).arrayBuffer());
  const detector = new DatasetDetector({ format, rowLimit: PREVIEW_ROWS, keepRows: true });
  detector.push(head);
  return detector.finish();
}

export function UploadPanel({ onUploaded }: { onUploaded: (result: DatasetUploadResult) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<DatasetDetection | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [tags, setTags] = useState('');
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<DatasetUploadResult | null>(null);

  const choose = (chosen: File) => {
    setFile(chosen);
    setName(chosen.name.replace(/\.[^.]+$/, ''));
    setError(null);
    setDone(null);
    setPreview(null);
    setPreviewError(null);
    previewInBrowser(chosen).then(setPreview, (e: Error) => setPreviewError(e.message));
  };

  const upload = async () => {
    if (!file) return;
    setError(null);
    setProgress(0);
    try {
      const result = await client.uploadDataset(file, { name, description, tags }, setProgress);
      setDone(result);
      setFile(null);
      setPreview(null);
      onUploaded(result);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setProgress(null);
    }
  };

  return (
    <Card>
      <CardTitle>Upload a dataset</CardTitle>
      <DropZone testId="dataset-dropzone" inputTestId="dataset-file-input" accept={ACCEPT} onFile={choose}>
        {file ? (
          <>
            <strong>{file.name}</strong> ({formatBytes(file.size)}) — drop another file to replace it
          </>
        ) : (
          <>Drop a CSV, TSV, JSON or JSON Lines file here, or click to choose one</>
        )}
      </DropZone>

      {previewError && <InlineError role="alert">{previewError}</InlineError>}
      {preview && (
        <>
          <p>
            First {preview.rowCount} row(s) as read in your browser{preview.delimiter ? ` (delimiter ${JSON.stringify(preview.delimiter)})` : ''}; the server
            checks the whole file.
          </p>
          <PreviewHeading>Guessed types</PreviewHeading>
          <SchemaTable columns={preview.columns} compact />
          <PreviewHeading>First rows</PreviewHeading>
          <RowsTable columns={preview.columns.map((c) => c.name)} rows={preview.rows} testId="upload-preview" />
          {preview.warnings.map((w) => (
            <p key={w}>⚠ {w}</p>
          ))}
        </>
      )}

      {file && (
        <>
          <Fields>
            <Field>
              Name
              <input value={name} onChange={(e) => setName(e.target.value)} maxLength={256} />
            </Field>
            <Field>
              Description
              <input value={description} onChange={(e) => setDescription(e.target.value)} />
            </Field>
            <Field>
              Tags (comma separated)
              <input value={tags} onChange={(e) => setTags(e.target.value)} />
            </Field>
          </Fields>
          <Row>
            <Button type="button" onClick={() => void upload()} disabled={progress !== null || !name.trim()}>
              Upload
            </Button>
            {progress !== null && <Progress max={1} value={progress} aria-label="Upload progress" />}
          </Row>
        </>
      )}
      {error && <InlineError role="alert">{error}</InlineError>}
      {done && (
        <p role="status" data-testid="upload-result">
          {done.deduplicated ? 'Identical to the latest version' : 'Stored'}: <strong>{done.name}</strong> v{done.version}, {done.rowCount.toLocaleString('en-US')} rows, SHA-256{' '}
          <code>{done.checksum.slice(0, 12)}</code>
        </p>
      )}
    </Card>
  );
}
