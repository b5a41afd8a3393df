// The function of the Node conformance tests, run by AWS's own runtime interface client (see ./bootstrap).
// - An event with a string field `throw` makes the handler throw an Error with that message.
// - An event with a string field `log` is written to the log (console.log) before the answer.
// - An event with `clientContext: true` is answered with the client context the runtime received.
// - An API Gateway or function URL event (it has requestContext) is answered with a proxy response that
//   describes the request (lemu serve's front door tests): status 201, X-Method / X-Path / X-Params /
//   X-Query headers, two cookies (payload 2.0: `cookies`; 1.0: multiValueHeaders Set-Cookie), the request's
//   Content-Type and body, base64 as it came. GET /inferred returns a plain object (payload 2.0 inference).
// - Any other event is returned unchanged.
export const handler = async (event, context) => {
  if (typeof event?.log === 'string') {
    console.log(event.log);
  }
  if (typeof event?.throw === 'string') {
    throw new Error(event.throw);
  }
  if (event?.clientContext === true) {
    return { clientContext: context.clientContext ?? null };
  }
  if (event?.requestContext && (event.httpMethod || event.version === '2.0')) {
    return proxyResponse(event);
  }
  return event;
};

function proxyResponse(event) {
  const v2 = event.version === '2.0';
  const method = v2 ? event.requestContext.http.method : event.httpMethod;
  const path = v2 ? event.rawPath : event.path;
  if (path === '/inferred') {
    return { inferred: true, method };
  }
  const headers = event.headers ?? {};
  const contentType = headers['content-type'] ?? headers['Content-Type'] ?? 'text/plain';
  const query = v2 ? event.rawQueryString : JSON.stringify(event.multiValueQueryStringParameters ?? null);
  const response = {
    statusCode: 201,
    headers: {
      'Content-Type': contentType,
      'X-Method': method,
      'X-Path': path,
      'X-Params': JSON.stringify(event.pathParameters ?? null),
      'X-Query': query,
      'X-Route': v2 ? event.routeKey : event.resource,
    },
    body: event.body ?? '',
    isBase64Encoded: event.isBase64Encoded ?? false,
  };
  const cookies = ['session=abc123; Path=/; HttpOnly', 'theme=dark'];
  if (v2) {
    response.cookies = cookies;
  } else {
    response.multiValueHeaders = { 'Set-Cookie': cookies, 'X-Multi': ['one', 'two'] };
  }
  return response;
}
