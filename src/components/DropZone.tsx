/** A drop target that is also a file picker (click or Enter/Space), used wherever a file is uploaded. */
import { useRef, useState, type ReactNode } from 'react';
import styled from 'styled-components';

const Zone = styled.div<{ $active: boolean }>`
  border: 2px dashed ${({ theme, $active }) => ($active ? theme.colors.primary : theme.colors.border)};
  background: ${({ theme, $active }) => ($active ? theme.colors.primarySoft : theme.colors.bg)};
  border-radius: ${({ theme }) => theme.radius};
  padding: ${({ theme }) => theme.space(6)} ${({ theme }) => theme.space(4)};
  text-align: center;
  cursor: pointer;
  color: ${({ theme }) => theme.colors.muted};
  overflow-wrap: anywhere;
  &:focus-visible {
    outline: 2px solid ${({ theme }) => theme.colors.primary};
  }
`;

export function DropZone({ onFile, accept, testId, inputTestId, children }: { onFile: (file: File) => void; accept?: string; testId: string; inputTestId?: string; children: ReactNode }) {
  const input = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  return (
    <Zone
      data-testid={testId}
      role="button"
      tabIndex={0}
      $active={dragging}
      onClick={() => input.current?.click()}
      onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && input.current?.click()}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        const file = e.dataTransfer.files[0];
        if (file) onFile(file);
      }}
    >
      {children}
      <input
        ref={input}
        type="file"
        accept={accept}
        hidden
        data-testid={inputTestId}
        onChange={(e) => {
          const file = e.target.files?.[0];
          if (file) onFile(file);
        }}
      />
    </Zone>
  );
}
