// bench:latency's target server, in its own process so the load generators do not share its event loop.
// GET / answers "ok" at once. GET /slow answers 10 ms after the request arrived: a 9 ms timer, then
// setImmediate until 10 ms have passed by the high-resolution clock (a plain 10 ms timer fires
// anywhere from 10 to 12 ms late, being millisecond-grained). GET /stats gives the median of /slow's
// own times since the last /stats, to set against what the client measured. Prints its port on stdout.
import http from 'node:http';

let own = [];
const server = http.createServer((req, res) => {
  if (req.url === '/stats') {
    const sorted = own.sort((a, b) => a - b);
    own = [];
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ count: sorted.length, p50: sorted[Math.floor(sorted.length / 2)] ?? null }));
  } else if (req.url?.startsWith('/slow')) {
    const start = process.hrtime.bigint();
    const elapsedMs = () => Number(process.hrtime.bigint() - start) / 1e6;
    const finish = () => {
      if (elapsedMs() < 10) return setImmediate(finish);
      res.end('ok');
      own.push(elapsedMs());
    };
    setTimeout(finish, 9);
  } else res.end('ok');
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
