/** Error replies of the message trace APIs: the Graph error envelope and the RWS (IIS / OData v3) bodies. */
import { randomUUID } from 'node:crypto';
import type { FaultSpec } from '../faults.ts';
import type { Reply, RequestContext } from '../http.ts';
import { jsonReply } from '../http.ts';
import type { RwsShape } from './format.ts';

/** The 429 body text of Graph message trace, as measured. */
export const GRAPH_THROTTLE_MESSAGE = 'Your recent queries have surpassed the permitted limit, please try again later.';

/** The Microsoft app whose service principal each tenant must have before Graph message trace works. */
export const MESSAGE_TRACE_APP_ID = '8bd644d1-64a1-4d4b-ae52-2e0cbf64e373';

export const SERVICE_PRINCIPAL_MESSAGE = `Service principal-less authentication failed: The service principal for App ID ${MESSAGE_TRACE_APP_ID} was not found. Please create a service principal for this app in your tenant. Provisioning may take several hours to complete.`;

/** `{"error":{"code","message","innerError":{date,request-id,client-request-id}}}` with Graph's id headers. */
export function graphError(
  status: number,
  code: string,
  message: string,
  req: RequestContext,
  headers: Record<string, string> = {},
): Reply {
  const requestId = randomUUID();
  const sent = req.headers['client-request-id'];
  const clientRequestId = typeof sent === 'string' ? sent : requestId;
  return jsonReply(
    status,
    {
      error: {
        code,
        message,
        innerError: {
          date: new Date(req.now).toISOString().slice(0, 19),
          'request-id': requestId,
          'client-request-id': clientRequestId,
        },
      },
    },
    { 'request-id': requestId, 'client-request-id': clientRequestId, ...headers },
  );
}

/** 429 with `Retry-After` and the measured message. */
export function graphThrottled(req: RequestContext, retryAfterSeconds: number, status = 429): Reply {
  return graphError(status, 'TooManyRequests', GRAPH_THROTTLE_MESSAGE, req, {
    'retry-after': String(retryAfterSeconds),
  });
}

/** 401 for a missing, unknown, expired or foreign-audience token. */
export function graphUnauthorized(req: RequestContext, origin: string, reason: string): Reply {
  const messages: Record<string, string> = {
    missing: 'Access token is empty.',
    malformed: 'Access token is malformed.',
    'wrong-resource': 'Access token validation failure. Invalid audience.',
    expired: 'Lifetime validation failed, the token is expired.',
  };
  return graphError(401, 'InvalidAuthenticationToken', messages[reason] ?? 'Access token validation failure.', req, {
    'www-authenticate': `Bearer realm="", authorization_uri="${origin}/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
  });
}

/** The IIS page RWS answers for missing or invalid credentials. */
export function rwsUnauthorized(): Reply {
  return {
    status: 401,
    headers: { 'content-type': 'text/html', 'www-authenticate': 'Bearer' },
    body: '<!DOCTYPE html><html><head><title>401 - Unauthorized: Access is denied due to invalid credentials.</title></head><body><div id="header"><h1>Server Error</h1></div><div id="content"><div class="content-container"><fieldset><h2>401 - Unauthorized: Access is denied due to invalid credentials.</h2><h3>You do not have permission to view this directory or page using the credentials that you supplied.</h3></fieldset></div></div></body></html>',
  };
}

/** 403 when the app's service principal holds no admin role (body as seen from the service). */
export function rwsForbidden(): Reply {
  return jsonReply(403, { ErrorCode: '', Message: 'No permission to access the report for the organization .' });
}

/** An OData v3 error in the envelope of the response shape (`odata.error` for JSON light, `error` for verbose). */
export function rwsError(
  status: number,
  shape: RwsShape,
  message: string,
  code = '',
  headers: Record<string, string> = {},
): Reply {
  const detail = { code, message: { lang: 'en-US', value: message } };
  return jsonReply(status, shape === 'light' ? { 'odata.error': detail } : { error: detail }, headers);
}

/** What a fault puts in place of a Graph or RWS reply, in that API's vocabulary; undefined when it does not replace it. */
export function traceFaultReply(
  family: 'graph' | 'rws',
  spec: Readonly<FaultSpec>,
  req: RequestContext,
  shape: RwsShape,
): Reply | undefined {
  const graph = family === 'graph';
  switch (spec.kind) {
    case '429':
      return graph
        ? graphThrottled(req, spec.retryAfterSeconds ?? 1)
        : rwsError(429, shape, 'Too many requests. Please retry later.', '', {
            'retry-after': String(spec.retryAfterSeconds ?? 1),
          });
    case 'af429-403':
      return graph ? graphThrottled(req, spec.retryAfterSeconds ?? 1, 403) : rwsForbidden();
    case '500':
      return graph
        ? graphError(500, 'UnknownError', 'An internal server error occurred.', req)
        : rwsError(500, shape, 'An error has occurred.', 'UnknownError');
    case 'error':
      return graph
        ? graphError(spec.status ?? 400, spec.code ?? 'BadRequest', spec.message ?? 'Simulated error.', req)
        : rwsError(spec.status ?? 400, shape, spec.message ?? 'Simulated error.', spec.code ?? '');
    default:
      return undefined;
  }
}
