// One InvokeWithResponseStream through the AWS SDK for JavaScript v3 (@aws-sdk/client-lambda), for lemu
// serve's conformance tests: node sdk-stream.mjs ENDPOINT FUNCTION PAYLOAD [INVOCATION_TYPE] [LOG_TYPE]
// Prints one JSON line per event as the SDK hands it over, each with the ms since the command was sent
// ({"at":..,"PayloadChunk":"<text>"} / {"at":..,"InvokeComplete":{...}}), then one line with the response's
// metadata ({"StatusCode":..,"ExecutedVersion":..,"ResponseStreamContentType":..,"RequestId":..}), or the
// error the SDK threw for an API error. Dummy credentials; no retries; nothing leaves the machine.
import { InvokeWithResponseStreamCommand } from '@aws-sdk/client-lambda';
import { localClient, printError } from './sdk-client.mjs';

const [endpoint, name, payload, type, logType] = process.argv.slice(2);
const client = localClient(endpoint);
const started = performance.now();
const at = () => Math.round(performance.now() - started);
try {
  const out = await client.send(new InvokeWithResponseStreamCommand({
    FunctionName: name,
    Payload: new TextEncoder().encode(payload),
    InvocationType: type || undefined,
    LogType: logType || undefined,
  }));
  for await (const event of out.EventStream ?? []) {
    if (event.PayloadChunk) {
      console.log(JSON.stringify({ at: at(), PayloadChunk: new TextDecoder().decode(event.PayloadChunk.Payload) }));
    } else if (event.InvokeComplete) {
      console.log(JSON.stringify({ at: at(), InvokeComplete: event.InvokeComplete }));
    } else {
      console.log(JSON.stringify({ at: at(), other: Object.keys(event) }));
    }
  }
  console.log(JSON.stringify({
    StatusCode: out.StatusCode,
    ExecutedVersion: out.ExecutedVersion ?? null,
    ResponseStreamContentType: out.ResponseStreamContentType ?? null,
    RequestId: out.$metadata.requestId ?? null,
  }));
} catch (e) {
  printError(e);
}
