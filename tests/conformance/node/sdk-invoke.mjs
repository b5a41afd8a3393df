// One Invoke through the AWS SDK for JavaScript v3 (@aws-sdk/client-lambda), for lemu serve's conformance
// tests: node sdk-invoke.mjs ENDPOINT FUNCTION PAYLOAD [INVOCATION_TYPE] [LOG_TYPE] [CLIENT_CONTEXT_BASE64]
// Prints one JSON line: what the SDK made of the answer (a function error is a result, not an exception),
// or the error it threw for an API error. Dummy credentials; no retries; nothing leaves the machine.
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { localClient, printError } from './sdk-client.mjs';

const [endpoint, name, payload, type, logType, clientContext] = process.argv.slice(2);
const client = localClient(endpoint);
try {
  const out = await client.send(new InvokeCommand({
    FunctionName: name,
    Payload: new TextEncoder().encode(payload),
    InvocationType: type || undefined,
    LogType: logType || undefined,
    ClientContext: clientContext || undefined,
  }));
  console.log(JSON.stringify({
    StatusCode: out.StatusCode,
    FunctionError: out.FunctionError ?? null,
    ExecutedVersion: out.ExecutedVersion ?? null,
    Log: out.LogResult ? Buffer.from(out.LogResult, 'base64').toString() : null,
    Payload: out.Payload ? new TextDecoder().decode(out.Payload) : null,
    RequestId: out.$metadata.requestId ?? null,
  }));
} catch (e) {
  printError(e);
}
