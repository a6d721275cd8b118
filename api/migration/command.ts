/** `modellab migrate`: argument parsing, progress and the final counts for migrateDataFolder. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DataDirLockedError, parseS3Uri, S3Blobs } from '../storage';
import { PROJECT_ROOT } from '../config';
import { KIND_LABELS, KINDS, migrateDataFolder } from '.';

export const MIGRATE_USAGE = `usage: modellab migrate --to postgres://… [--artifacts s3://bucket/prefix] [--data-dir DIR] [--s3-endpoint URL]

Copies a ModelLab data folder (the JSON store) into PostgreSQL and, with --artifacts, its artifacts and
dataset files into an S3-compatible bucket. The folder is only read; stop its server first. Run it again
after an interruption: what is already there is checked and skipped.

  --to URL            the PostgreSQL database (created tables are migrated as the server does)
  --artifacts URI     the bucket for files (default: they stay in the data folder)
  --data-dir DIR      the data folder (default $MODELLAB_DATA_DIR or ./modellab-data)
  --s3-endpoint URL   an S3-compatible service other than AWS (default $MODELLAB_S3_ENDPOINT_URL);
                      credentials and region from the standard AWS variables`;


export async function migrateCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, print = (line: string) => console.log(line), printError = (line: string) => console.error(line)): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    print(MIGRATE_USAGE);
    return 0;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: { to: { type: 'string' }, artifacts: { type: 'string' }, 'data-dir': { type: 'string' }, 's3-endpoint': { type: 'string' } },
    }));
    if (!values.to || !/^postgres(ql)?:\/\//.test(values.to)) throw new Error('--to: give the database as a postgres:// URL');
    if (values.artifacts) parseS3Uri(values.artifacts);
  } catch (error) {
    printError(`modellab migrate: ${(error as Error).message}\n\n${MIGRATE_USAGE}`);
    return 2;
  }
  const dataDir = path.resolve(values['data-dir'] ?? (env.MODELLAB_DATA_DIR || path.join(PROJECT_ROOT, 'modellab-data')));
  const endpoint = values['s3-endpoint'] ?? env.MODELLAB_S3_ENDPOINT_URL ?? null;
  const blobs = values.artifacts ? new S3Blobs(parseS3Uri(values.artifacts), { endpoint }) : null;
  const redacted = values.to.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  print(`modellab migrate: ${dataDir} → ${redacted}${blobs ? ` and ${values.artifacts}` : ' (files stay in the data folder)'}`);
  try {
    const started = Date.now();
    const result = await migrateDataFolder({ dataDir, databaseUrl: values.to, blobs, report: print });
    print(`done in ${((Date.now() - started) / 1000).toFixed(1)} s:`);
    for (const kind of KINDS) {
      if (kind === 'file' && !blobs) continue;
      const c = result.counts[kind];
      print(`  ${KIND_LABELS[kind].padEnd(18)} ${String(c.copied).padStart(9)} copied ${String(c.alreadyThere).padStart(9)} already there${c.differs ? ` ${c.differs} DIFFER` : ''}`);
    }
    for (const warning of result.warnings) print(`warning: ${warning}`);
    for (const problem of result.problems) printError(`differs: ${problem}`);
    if (result.problems.length > 0) {
      printError(`modellab migrate: ${result.problems.length} record(s) or file(s) in the target differ from the source (listed above); nothing of them was overwritten`);
      return 1;
    }
    return 0;
  } catch (error) {
    if (error instanceof DataDirLockedError) printError(`modellab migrate: ${error.message}`);
    else printError(`modellab migrate: ${(error as Error).message}`);
    return 1;
  } finally {
    blobs?.client.destroy();
  }
}
