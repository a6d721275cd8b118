/** Writes the benchmark CSV: integer, float with empty cells, string, ISO date, boolean and quoted-with-comma columns. */
import { createWriteStream } from 'node:fs';

export async function writeBenchCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file, { highWaterMark: 1 << 20 });
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  out.write('id,value,name,day,flag,comment\n');
  let batch = '';
  for (let i = 0; i < rows; i++) {
    const value = rand() < 0.05 ? '' : (rand() * 1000 - 500).toFixed(4);
    const name = `${words[i % 8]}_${i % 997}`;
    const day = `20${10 + (i % 15)}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
    const flag = rand() < 0.5 ? 'true' : 'false';
    const comment = `"${words[(i * 7) % 8]}, ${words[(i * 3) % 8]} ${i % 101}"`;
    batch += `${i},${value},${name},${day},${flag},${comment}\n`;
    if (batch.length > 1 << 20) {
      if (!out.write(batch)) await new Promise<void>((r) => out.once('drain', () => r()));
      batch = '';
    }
  }
  out.write(batch);
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}
