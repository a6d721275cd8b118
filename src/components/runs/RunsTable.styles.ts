/** The Runs page's styled parts: toolbar, filter form, the virtualised grid, the column chooser. */
import styled from 'styled-components';

export const ROW_HEIGHT = 40;
export const VIEW_HEIGHT = 560;

export const ExperimentPicker = styled.label`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space(2)};
  max-width: 100%;
  select {
    font: inherit;
    padding: ${({ theme }) => theme.space(1)} ${({ theme }) => theme.space(2)};
    border: 1px solid ${({ theme }) => theme.colors.border};
    border-radius: ${({ theme }) => theme.radius};
    min-width: 0;
    max-width: 100%;
  }
`;

export const Toolbar = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => theme.space(2)};
  align-items: center;
  margin-bottom: ${({ theme }) => theme.space(3)};
`;

export const Chip = styled.button<{ $active: boolean }>`
  border: 1px solid ${({ theme, $active }) => ($active ? theme.colors.primary : theme.colors.border)};
  background: ${({ theme, $active }) => ($active ? theme.colors.primary : theme.colors.surface)};
  color: ${({ theme, $active }) => ($active ? theme.colors.primaryText : theme.colors.text)};
  border-radius: 999px;
  padding: 4px 12px;
  font: inherit;
  font-size: 0.85rem;
  cursor: pointer;
`;

export const FilterForm = styled.form`
  display: flex;
  gap: ${({ theme }) => theme.space(2)};
  flex: 1 1 320px;
  min-width: 0;
  input {
    flex: 1;
    min-width: 0;
    font-family: ${({ theme }) => theme.fonts.mono};
    padding: ${({ theme }) => theme.space(2)};
    border: 1px solid ${({ theme }) => theme.colors.border};
    border-radius: ${({ theme }) => theme.radius};
  }
`;

export const Pointer = styled.pre`
  margin: 0 0 ${({ theme }) => theme.space(2)};
  font-size: 0.8rem;
  color: ${({ theme }) => theme.colors.danger};
  overflow-x: auto;
`;

export const Viewport = styled.div`
  height: ${VIEW_HEIGHT}px;
  max-height: 70vh;
  overflow: auto;
  border: 1px solid ${({ theme }) => theme.colors.border};
  border-radius: ${({ theme }) => theme.radius};
  background: ${({ theme }) => theme.colors.surface};
  position: relative;
`;

export const GridRow = styled.div<{ $columns: string }>`
  display: grid;
  grid-template-columns: ${({ $columns }) => $columns};
  align-items: center;
  height: ${ROW_HEIGHT}px;
  border-bottom: 1px solid ${({ theme }) => theme.colors.border};
  font-size: 0.88rem;
  > div {
    padding: 0 ${({ theme }) => theme.space(3)};
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
`;

export const HeaderRow = styled(GridRow)`
  position: sticky;
  top: 0;
  z-index: 1;
  background: ${({ theme }) => theme.colors.bg};
  font-weight: 600;
  color: ${({ theme }) => theme.colors.muted};
  button {
    all: unset;
    cursor: pointer;
  }
`;

/** A header: its sort button, and at its right edge a handle that resizes it. Dragged to move it. */
export const HeaderCell = styled.div`
  position: relative;
  height: 100%;
  display: flex;
  align-items: center;
  cursor: grab;
  > button {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
`;

export const ResizeHandle = styled.span`
  position: absolute;
  top: 6px;
  bottom: 6px;
  right: 0;
  width: 7px;
  cursor: col-resize;
  touch-action: none;
  border-right: 2px solid ${({ theme }) => theme.colors.border};
  &:hover,
  &:focus-visible {
    border-right-color: ${({ theme }) => theme.colors.primary};
    outline: none;
  }
`;

export const BodyRow = styled(GridRow)`
  position: absolute;
  left: 0;
  cursor: pointer;
  &:hover {
    background: ${({ theme }) => theme.colors.bg};
  }
`;

export const Chooser = styled.details`
  position: relative;
  summary {
    cursor: pointer;
    padding: 4px 8px;
  }
  > div {
    position: absolute;
    right: 0;
    z-index: 3;
    background: ${({ theme }) => theme.colors.surface};
    border: 1px solid ${({ theme }) => theme.colors.border};
    border-radius: ${({ theme }) => theme.radius};
    padding: ${({ theme }) => theme.space(2)};
    max-height: 320px;
    overflow: auto;
    min-width: 220px;
    max-width: calc(100vw - 48px);
    /* Narrow screens: the toolbar wraps and the chooser starts a line, so it opens to the right. */
    @media (max-width: 600px) {
      right: auto;
      left: 0;
    }
  }
  label {
    display: block;
    white-space: nowrap;
  }
  strong {
    display: block;
    margin-top: ${({ theme }) => theme.space(1)};
  }
  ol {
    margin: ${({ theme }) => theme.space(1)} 0 ${({ theme }) => theme.space(2)};
    padding-left: 1.4em;
  }
  li {
    white-space: nowrap;
    span {
      display: inline-block;
      min-width: 110px;
    }
    button {
      font: inherit;
      font-size: 0.75rem;
      margin-left: 2px;
      padding: 0 5px;
      cursor: pointer;
    }
  }
  fieldset {
    border: 0;
    margin: 0;
    padding: 2px 0;
    display: flex;
    gap: ${({ theme }) => theme.space(2)};
    align-items: center;
    > span {
      min-width: 90px;
    }
  }
`;

/** A field reference for the filter/sort language, with backticks where a key needs them. */
