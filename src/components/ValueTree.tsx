import styled from 'styled-components';
import { Empty } from './ui';

const Tree = styled.ul`
  list-style: none;
  margin: 0;
  padding-left: ${({ theme }) => theme.space(4)};
  font-family: ${({ theme }) => theme.fonts.mono};
  font-size: 0.85rem;
  overflow-wrap: anywhere;
  &:first-child {
    padding-left: 0;
  }
  summary {
    cursor: pointer;
  }
`;

/** A JSON object as a collapsible tree (nested objects open by default). */
export function ValueTree({ value }: { value: Record<string, unknown> }) {
  const entries = Object.entries(value);
  if (entries.length === 0) return <Empty>None.</Empty>;
  return (
    <Tree>
      {entries.map(([key, v]) =>
        v !== null && typeof v === 'object' && !Array.isArray(v) ? (
          <li key={key}>
            <details open>
              <summary>{key}</summary>
              <ValueTree value={v as Record<string, unknown>} />
            </details>
          </li>
        ) : (
          <li key={key}>
            {key}: <strong>{JSON.stringify(v)}</strong>
          </li>
        ),
      )}
    </Tree>
  );
}

