/** The registry's small marks: alias badges (champion, challenger, …) and a version's stage. */
import styled from 'styled-components';
import type { ModelStage } from '../../shared/contract/registry';

const AliasMark = styled.span`
  display: inline-block;
  padding: 1px 8px;
  margin: 0 4px 2px 0;
  border-radius: 999px;
  font-size: 0.78rem;
  font-weight: 600;
  background: ${({ theme }) => theme.colors.primarySoft};
  color: ${({ theme }) => theme.colors.primaryStrong};
  border: 1px solid ${({ theme }) => theme.colors.border};
  white-space: nowrap;
`;

const STAGE_COLOURS: Record<ModelStage, string> = { None: '#8a94a6', Staging: '#b7791f', Production: '#1f9d55', Archived: '#5d667d' };

const StageMark = styled.span<{ $stage: ModelStage }>`
  display: inline-block;
  padding: 1px 8px;
  border-radius: 4px;
  font-size: 0.78rem;
  color: #fff;
  background: ${({ $stage }) => STAGE_COLOURS[$stage]};
`;

export function AliasBadge({ alias, version }: { alias: string; version?: number }) {
  return (
    <AliasMark data-testid={`alias-${alias}`} title={version === undefined ? `@${alias}` : `@${alias} → version ${version}`}>
      @{alias}
      {version !== undefined && ` → v${version}`}
    </AliasMark>
  );
}

export const StageBadge = ({ stage }: { stage: ModelStage }) => <StageMark $stage={stage}>{stage}</StageMark>;
