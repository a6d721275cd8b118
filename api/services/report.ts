/** A self-contained evaluation report of a run, as HTML or Markdown. Pure: every value is escaped. */
import type { Run } from '../../src/shared/contract/types';

interface MetricDoc {
  value: number | null;
  ci: { lower: number | null; upper: number | null; level: number };
}
export interface ReportInput {
  run: Run;
  metrics: {
    taskType: string;
    n: number;
    createdAt: string;
    metrics: Record<string, MetricDoc>;
    perClass: { class: string | number; precision: number; recall: number; f1: number; support: number }[] | null;
    confusionMatrix: { labels: (string | number)[]; matrix: number[][] } | null;
    bootstrap: { resamples: number; level: number; seed: number; method: string };
  } | null;
  slices: { slices: { attribute: string; value: string; count: number; metrics: Record<string, MetricDoc>; deltaFromOverall: Record<string, { diff: number | null }>; significantlyWorse: boolean; small: boolean }[] } | null;
  failures: { total: number; examples: Record<string, unknown>[] } | null;
}

const num = (v: number | null | undefined) => (v === null || v === undefined ? '—' : Number(v.toPrecision(6)).toString());
const ci = (m: MetricDoc) => (m.ci.lower === null ? '—' : `[${num(m.ci.lower)}, ${num(m.ci.upper)}]`);

export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const escapeMd = (text: unknown) => String(text).replace(/[|\\`*_[\]<>]/g, (c) => `\\${c}`).replace(/\n/g, ' ');

/** Rows of cells → a table in the chosen format. */
function table(format: 'html' | 'md', header: string[], rows: unknown[][]): string {
  if (format === 'md') {
    return [`| ${header.map(escapeMd).join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(escapeMd).join(' | ')} |`)].join('\n');
  }
  return `<table><thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export function renderReport(input: ReportInput, format: 'html' | 'md'): string {
  const { run, metrics, slices, failures } = input;
  const sections: { title: string; body: string }[] = [];
  const p = (text: string) => (format === 'md' ? text : `<p>${escapeHtml(text)}</p>`);
  sections.push({
    title: 'Run',
    body: table(format, ['field', 'value'], [
      ['name', run.name],
      ['id', run.id],
      ['status', run.status],
      ['seed', run.seed],
      ['git commit', run.gitCommit ?? '—'],
      ['dataset', run.datasetId ?? '—'],
      ['created', run.createdAt],
    ]),
  });
  if (!metrics) sections.push({ title: 'Evaluation', body: p('This run has not been evaluated yet (POST /api/modellab/runs/:id/evaluate).') });
  else {
    sections.push({
      title: `Metrics (n = ${metrics.n}, ${Math.round(metrics.bootstrap.level * 100)}% ${metrics.bootstrap.method} bootstrap CI, ${metrics.bootstrap.resamples} resamples, seed ${metrics.bootstrap.seed})`,
      body: table(format, ['metric', 'value', 'CI'], Object.entries(metrics.metrics).map(([k, m]) => [k, num(m.value), ci(m)])),
    });
    if (metrics.confusionMatrix) {
      const { labels, matrix } = metrics.confusionMatrix;
      sections.push({ title: 'Confusion matrix (rows: true, columns: predicted)', body: table(format, ['', ...labels.map(String)], matrix.map((row, i) => [labels[i], ...row])) });
    }
    if (metrics.perClass) {
      sections.push({ title: 'Per class', body: table(format, ['class', 'precision', 'recall', 'f1', 'support'], metrics.perClass.map((c) => [c.class, num(c.precision), num(c.recall), num(c.f1), c.support])) });
    }
  }
  if (slices && slices.slices.length > 0) {
    const keys = Object.keys(slices.slices[0]!.metrics);
    sections.push({
      title: 'Slices',
      body: table(
        format,
        ['attribute', 'value', 'count', ...keys.flatMap((k) => [k, `Δ ${k}`]), 'flag'],
        slices.slices.map((s) => [
          s.attribute,
          s.value,
          s.count,
          ...keys.flatMap((k) => [`${num(s.metrics[k]?.value)} ${s.metrics[k] ? ci(s.metrics[k]!) : ''}`, num(s.deltaFromOverall[k]?.diff)]),
          s.significantlyWorse ? 'significantly worse' : s.small ? 'small' : '',
        ]),
      ),
    });
  }
  if (failures && failures.examples.length > 0) {
    const shown = failures.examples.slice(0, 50);
    const cols = Object.keys(shown[0]!).filter((k) => k !== 'data');
    sections.push({
      title: `Failure examples (${shown.length} of ${failures.total})`,
      body: table(format, [...cols, 'data'], shown.map((e) => [...cols.map((c) => (typeof e[c] === 'number' ? num(e[c] as number) : e[c])), e.data === null || e.data === undefined ? '' : JSON.stringify(e.data)])),
    });
  }
  if (run.latency) {
    sections.push({ title: 'Latency', body: table(format, ['p50 ms', 'p95 ms', 'p99 ms', 'throughput req/s', 'measured'], [[num(run.latency.p50), num(run.latency.p95), num(run.latency.p99), num(run.latency.throughput), run.latency.measuredAt]]) });
  }
  const title = `ModelLab report: ${run.name}`;
  if (format === 'md') return [`# ${escapeMd(title)}`, ...sections.map((s) => `## ${escapeMd(s.title)}\n\n${s.body}`)].join('\n\n') + '\n';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#1c2233}table{border-collapse:collapse;margin:0 0 1.5rem}th,td{border:1px solid #e3e6ef;padding:4px 8px;text-align:left;font-size:14px}th{background:#f6f7fb}h2{font-size:1.1rem;margin-top:2rem}
</style></head><body><h1>${escapeHtml(title)}</h1>${sections.map((s) => `<h2>${escapeHtml(s.title)}</h2>${s.body}`).join('')}</body></html>`;
}
