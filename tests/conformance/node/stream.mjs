// The streaming function of the Node conformance tests (`--handler stream.handler`), run by AWS's runtime
// interface client with awslambda.streamifyResponse (see ./bootstrap). The event says what to stream:
// - chunks (default 3): how many pieces, "chunk <i>\n" each, delayMs (default 0) apart;
// - failAfter: after that many pieces, throw an Error with message "stream failure after <n>";
// - http: a function URL event (it has requestContext): the pieces go through
//   awslambda.HttpResponseStream.from with status 201, X-Streamed: yes, text/plain and two cookies; the
//   event's queryStringParameters may carry chunks and delayMs.
// - timestamps: each piece is "t=<CLOCK_MONOTONIC ns>\n" (process.hrtime.bigint()) for the benchmark.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const write = (stream, piece) => new Promise((resolve) => {
  if (stream.write(piece)) resolve();
  else stream.once('drain', resolve);
});

export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const options = event?.requestContext ? { ...(event.queryStringParameters ?? {}), http: true } : (event ?? {});
  const chunks = Number(options.chunks ?? 3);
  const delayMs = Number(options.delayMs ?? 0);
  const failAfter = options.failAfter === undefined ? -1 : Number(options.failAfter);
  let out = responseStream;
  if (options.http) {
    out = awslambda.HttpResponseStream.from(responseStream, {
      statusCode: 201,
      headers: { 'Content-Type': 'text/plain', 'X-Streamed': 'yes' },
      cookies: ['a=1; Path=/', 'b=2'],
    });
  }
  for (let i = 0; i < chunks; ++i) {
    if (i === failAfter) throw new Error(`stream failure after ${i}`);
    if (i > 0 && delayMs > 0) await sleep(delayMs);
    await write(out, options.timestamps ? `t=${process.hrtime.bigint()}\n` : `chunk ${i}\n`);
  }
  out.end();
});
