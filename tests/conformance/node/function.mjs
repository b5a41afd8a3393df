// The function of the Node conformance test, run by AWS's own runtime interface client (see ./bootstrap).
// An event with a string field `throw` makes the handler throw an Error with that message; any other
// event is returned unchanged.
export const handler = async (event, context) => {
  if (typeof event?.throw === 'string') {
    throw new Error(event.throw);
  }
  return event;
};
