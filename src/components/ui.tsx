/** Small shared building blocks: cards, tables that scroll inside themselves, states, status badges. */
import type { ReactNode } from 'react';
import styled from 'styled-components';
import type { RunStatus } from '../shared/contract/types';

export const PageTitle = styled.h1`
  font-size: 1.5rem;
  margin: 0 0 ${({ theme }) => theme.space(4)};
`;

export const Card = styled.section`
  background: ${({ theme }) => theme.colors.surface};
  border: 1px solid ${({ theme }) => theme.colors.border};
  border-radius: ${({ theme }) => theme.radius};
  padding: ${({ theme }) => theme.space(4)};
  margin-bottom: ${({ theme }) => theme.space(4)};
  min-width: 0;
`;

export const CardTitle = styled.h2`
  font-size: 1rem;
  margin: 0 0 ${({ theme }) => theme.space(3)};
`;

/** Wide tables scroll inside this box, never the page. */
export const TableScroll = styled.div`
  overflow-x: auto;
  max-width: 100%;
`;

export const Table = styled.table`
  width: 100%;
  border-collapse: collapse;
  font-size: 0.9rem;
  th,
  td {
    text-align: left;
    padding: ${({ theme }) => `${theme.space(2)} ${theme.space(3)}`};
    border-bottom: 1px solid ${({ theme }) => theme.colors.border};
    white-space: nowrap;
  }
  th {
    color: ${({ theme }) => theme.colors.muted};
    font-weight: 600;
  }
  tbody tr:hover {
    background: ${({ theme }) => theme.colors.bg};
  }
`;

export const Mono = styled.span`
  font-family: ${({ theme }) => theme.fonts.mono};
  font-size: 0.85em;
`;

const Badge = styled.span<{ $status: RunStatus }>`
  display: inline-block;
  padding: 2px 8px;
  border-radius: 999px;
  font-size: 0.78rem;
  font-weight: 600;
  color: #fff;
  background: ${({ theme, $status }) => theme.colors.status[$status]};
`;

export const StatusBadge = ({ status }: { status: RunStatus }) => <Badge $status={status}>{status}</Badge>;

const StateBox = styled.div<{ $tone?: 'error' }>`
  padding: ${({ theme }) => theme.space(6)} ${({ theme }) => theme.space(4)};
  text-align: center;
  overflow-wrap: anywhere;
  color: ${({ theme, $tone }) => ($tone === 'error' ? theme.colors.danger : theme.colors.muted)};
`;

export const Button = styled.button`
  background: ${({ theme }) => theme.colors.primary};
  color: ${({ theme }) => theme.colors.primaryText};
  border: none;
  border-radius: ${({ theme }) => theme.radius};
  padding: ${({ theme }) => `${theme.space(2)} ${theme.space(4)}`};
  font: inherit;
  cursor: pointer;
  &:disabled {
    opacity: 0.5;
    cursor: default;
  }
`;

export const Loading = ({ what }: { what: string }) => (
  <StateBox role="status" aria-live="polite">
    Loading {what}…
  </StateBox>
);

export const ErrorState = ({ error, onRetry }: { error: Error; onRetry?: () => void }) => (
  <StateBox $tone="error" role="alert">
    <p>{error.message}</p>
    {onRetry && <Button onClick={onRetry}>Retry</Button>}
  </StateBox>
);

export const Empty = ({ children }: { children: ReactNode }) => <StateBox>{children}</StateBox>;

export const formatDate = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export const formatNumber = (value: unknown): string => {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return Number.isInteger(value) ? value.toLocaleString('en-US') : Number(value.toPrecision(6)).toString();
  return String(value);
};

const CopyBox = styled.span`
  display: inline-flex;
  align-items: center;
  gap: ${({ theme }) => theme.space(1)};
  button {
    border: 1px solid ${({ theme }) => theme.colors.border};
    background: ${({ theme }) => theme.colors.surface};
    border-radius: 4px;
    font-size: 0.75rem;
    padding: 0 6px;
    cursor: pointer;
  }
`;

/** A shortened hash with a button that copies the whole value. */
export function Copyable({ value, shown = 12 }: { value: string; shown?: number }) {
  const copy = () => {
    void navigator.clipboard?.writeText(value).catch(() => undefined);
  };
  return (
    <CopyBox>
      <Mono title={value}>{value.slice(0, shown)}</Mono>
      <button type="button" onClick={copy} aria-label="Copy full value">
        copy
      </button>
    </CopyBox>
  );
}

/** A form laid out in a row that wraps: fields, then its button, aligned at their bottoms. */
export const FormRow = styled.form`
  display: flex;
  flex-wrap: wrap;
  align-items: flex-end;
  gap: ${({ theme }) => theme.space(3)};
  margin-bottom: ${({ theme }) => theme.space(3)};
`;

export const Field = styled.label`
  display: flex;
  flex-direction: column;
  gap: ${({ theme }) => theme.space(1)};
  font-size: 0.85rem;
  color: ${({ theme }) => theme.colors.muted};
  min-width: 0;
  input,
  textarea,
  select {
    font: inherit;
    color: ${({ theme }) => theme.colors.text};
    padding: ${({ theme }) => theme.space(2)};
    border: 1px solid ${({ theme }) => theme.colors.border};
    border-radius: ${({ theme }) => theme.radius};
    width: 100%;
  }
`;

export const InlineError = styled.p`
  color: ${({ theme }) => theme.colors.danger};
  margin: ${({ theme }) => theme.space(2)} 0;
  overflow-wrap: anywhere;
`;

/** A two-column list of labelled facts (dt/dd) that wraps long values instead of widening the page. */
export const Facts = styled.dl`
  display: grid;
  grid-template-columns: max-content 1fr;
  gap: ${({ theme }) => theme.space(2)} ${({ theme }) => theme.space(4)};
  margin: 0 0 ${({ theme }) => theme.space(3)};
  dt {
    color: ${({ theme }) => theme.colors.muted};
  }
  dd {
    margin: 0;
    min-width: 0;
    overflow-wrap: anywhere;
  }
`;
