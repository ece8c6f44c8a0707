// The failure converter for the client, the worker and the workflow sandbox (SPEC 7):
// error messages and stack traces move out of the plain Failure fields into `encodedAttributes`,
// a payload, so the payload codec (temporal/codec.ts) encrypts them like every other payload and
// Temporal history holds "Encoded failure" instead of, say, an executor error naming a target.
//
// CommonJS on purpose: the SDK loads it by path twice, with Node's own `require` outside the
// sandbox (DataConverter.failureConverterPath, no TypeScript loader there) and through webpack
// into the workflow bundle (bundleWorkflowCode's failureConverterPath).
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
