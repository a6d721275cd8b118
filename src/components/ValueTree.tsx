import styled from 'styled-components';
import { previewJson } from '../shared/jsonDepth';
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

const Note = styled.span`
  color: ${({ theme }) => theme.colors.muted};
  font-style: italic;
`;

/**
 * Levels the tree opens; a value nested deeper (stored before the API's 32-level limit) is shown as
 * a note instead, since rendering it level by level would overflow the browser's stack.
 */
export const TREE_MAX_DEPTH = 10;

/** A JSON object as a collapsible tree (nested objects open by default, up to TREE_MAX_DEPTH levels). */
export function ValueTree({ value, depth = 0 }: { value: Record<string, unknown>; depth?: number }) {
  const entries = Object.entries(value);
  if (entries.length === 0) return <Empty>None.</Empty>;
  return (
    <Tree>
      {entries.map(([key, v]) =>
        v !== null && typeof v === 'object' && !Array.isArray(v) ? (
          <li key={key}>
            {depth + 1 >= TREE_MAX_DEPTH ? (
              <>
                {key}: <Note data-testid="tree-depth-note">deeper than {TREE_MAX_DEPTH} levels: not shown here (the API has the whole value)</Note>
              </>
            ) : (
              <details open>
                <summary>{key}</summary>
                <ValueTree value={v as Record<string, unknown>} depth={depth + 1} />
              </details>
            )}
          </li>
        ) : (
          <li key={key}>
            {key}: <strong>{previewJson(v)}</strong>
          </li>
        ),
      )}
    </Tree>
  );
}
