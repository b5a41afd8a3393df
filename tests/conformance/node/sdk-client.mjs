// What sdk-invoke.mjs and sdk-stream.mjs share: a Lambda client for lemu serve's endpoint (dummy
// credentials, no retries; nothing leaves the machine), and the one JSON line printed for an API error
// the SDK threw.
import { LambdaClient } from '@aws-sdk/client-lambda';

export function localClient(endpoint) {
  return new LambdaClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'lemu', secretAccessKey: 'lemu' },
    maxAttempts: 1,
  });
}

export function printError(e) {
  console.log(JSON.stringify({
    error: e.name,
    message: e.message,
    status: e.$metadata?.httpStatusCode ?? null,
    RequestId: e.$metadata?.requestId ?? null,
  }));
}
