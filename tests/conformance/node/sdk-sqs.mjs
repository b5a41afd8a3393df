// The AWS SDK for JavaScript v3 (@aws-sdk/client-sqs, the JSON protocol) against lemu serve --sqs-port:
// every action a local queue needs, in order, with the SDK's own MD5 checks of bodies and attributes. Prints
// one JSON object with what each step saw; the test (test_sqs_clients.cpp) checks it.
//   node sdk-sqs.mjs ENDPOINT PREFIX
import {
  SQSClient, CreateQueueCommand, GetQueueUrlCommand, ListQueuesCommand, SendMessageCommand,
  SendMessageBatchCommand, ReceiveMessageCommand, DeleteMessageCommand, DeleteMessageBatchCommand,
  ChangeMessageVisibilityCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, PurgeQueueCommand,
  DeleteQueueCommand,
} from '@aws-sdk/client-sqs';

const [endpoint, prefix] = process.argv.slice(2);
const sqs = new SQSClient({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'lemu', secretAccessKey: 'lemu' },
  maxAttempts: 1,
});
const out = {};
const errorOf = async (p) => {
  try {
    await p;
    return null;
  } catch (e) {
    return { name: e.name, code: e.Code ?? null, status: e.$metadata?.httpStatusCode ?? null, message: e.message };
  }
};

const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-dlq` }))).QueueUrl;
const main = (await sqs.send(new CreateQueueCommand({
  QueueName: `${prefix}-main`, Attributes: { VisibilityTimeout: '30' } }))).QueueUrl;
out.urls = { dlq, main };
out.getQueueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: `${prefix}-main` }))).QueueUrl;
out.listQueues = (await sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix }))).QueueUrls;

const sent = await sqs.send(new SendMessageCommand({
  QueueUrl: main, MessageBody: 'hello from the SDK \u00e9\u20ac\r\n',
  MessageAttributes: {
    Author: { DataType: 'String', StringValue: 'John Grisham' },
    Count: { DataType: 'Number', StringValue: '42' },
    Blob: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 2, 255]) },
  },
}));
out.sent = { MessageId: sent.MessageId, MD5OfMessageBody: sent.MD5OfMessageBody, MD5OfMessageAttributes: sent.MD5OfMessageAttributes };
const batch = await sqs.send(new SendMessageBatchCommand({
  QueueUrl: main,
  Entries: [1, 2, 3].map((i) => ({ Id: `e${i}`, MessageBody: `batch ${i}`,
    MessageAttributes: { N: { DataType: 'Number', StringValue: String(i) } } })),
}));
out.batch = { successful: (batch.Successful ?? []).map((e) => e.Id), failed: batch.Failed ?? [] };

const received = [];
for (let i = 0; i < 10 && received.length < 4; ++i) {
  const r = await sqs.send(new ReceiveMessageCommand({
    QueueUrl: main, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
    MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }));
  received.push(...(r.Messages ?? []));
}
out.received = received.map((m) => ({
  Body: m.Body, MD5OfBody: m.MD5OfBody, Attributes: m.Attributes, MD5OfMessageAttributes: m.MD5OfMessageAttributes,
  MessageAttributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, {
    DataType: v.DataType, StringValue: v.StringValue,
    BinaryValue: v.BinaryValue ? Buffer.from(v.BinaryValue).toString('base64') : undefined }])),
}));

// one back at once (visibility 0), received again with its count at 2
const first = received.find((m) => m.Body.startsWith('hello'));
await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: main, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 0 }));
const again = await sqs.send(new ReceiveMessageCommand({
  QueueUrl: main, WaitTimeSeconds: 2, AttributeNames: ['ApproximateReceiveCount'], MessageAttributeNames: ['Auth.*', 'Count'] }));
out.again = again.Messages?.map((m) => ({ Body: m.Body, Attributes: m.Attributes,
  MessageAttributeNames: Object.keys(m.MessageAttributes ?? {}).sort(), MD5OfMessageAttributes: m.MD5OfMessageAttributes }));
await sqs.send(new DeleteMessageCommand({ QueueUrl: main, ReceiptHandle: again.Messages[0].ReceiptHandle }));
const rest = received.filter((m) => m !== first);
const deleted = await sqs.send(new DeleteMessageBatchCommand({
  QueueUrl: main, Entries: rest.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) }));
out.deleted = { successful: (deleted.Successful ?? []).length, failed: deleted.Failed ?? [] };

// long polling: an empty queue answers after the wait, a send ends the wait early
let t0 = Date.now();
const empty = await sqs.send(new ReceiveMessageCommand({ QueueUrl: main, WaitTimeSeconds: 2 }));
out.emptyWait = { ms: Date.now() - t0, messages: empty.Messages?.length ?? 0 };
t0 = Date.now();
const waiting = sqs.send(new ReceiveMessageCommand({ QueueUrl: main, WaitTimeSeconds: 20 }));
setTimeout(() => sqs.send(new SendMessageCommand({ QueueUrl: main, MessageBody: 'wake up' })), 300);
const woken = await waiting;
out.woken = { ms: Date.now() - t0, body: woken.Messages?.[0]?.Body ?? null };

const policy = JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:000000000000:${prefix}-dlq`, maxReceiveCount: 3 });
await sqs.send(new SetQueueAttributesCommand({ QueueUrl: main, Attributes: { RedrivePolicy: policy } }));
out.attributes = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: main, AttributeNames: ['All'] }))).Attributes;
await sqs.send(new PurgeQueueCommand({ QueueUrl: main }));
out.afterPurge = (await sqs.send(new GetQueueAttributesCommand({
  QueueUrl: main, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes;

out.missingQueue = await errorOf(sqs.send(new GetQueueUrlCommand({ QueueName: `${prefix}-nope` })));
out.badWait = await errorOf(sqs.send(new ReceiveMessageCommand({ QueueUrl: main, WaitTimeSeconds: 25 })));
out.emptyBatch = await errorOf(sqs.send(new SendMessageBatchCommand({ QueueUrl: main, Entries: [] })));
out.tooBig = await errorOf(sqs.send(new SendMessageCommand({ QueueUrl: main, MessageBody: 'x'.repeat(262145) })));
await sqs.send(new DeleteQueueCommand({ QueueUrl: main }));
await sqs.send(new DeleteQueueCommand({ QueueUrl: dlq }));
out.afterDelete = await errorOf(sqs.send(new SendMessageCommand({ QueueUrl: main, MessageBody: 'x' })));
console.log(JSON.stringify(out));
