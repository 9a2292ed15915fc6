export { jsonBody, textBody, type BodyReader, type HttpResponseInfo } from './body.ts';
export {
  createHttpClient,
  redact,
  type HttpBudget,
  type HttpClient,
  type HttpClientOptions,
  type HttpRequest,
  type AttemptEvent,
  type RetryEvent,
} from './client.ts';
export { HOST_NOT_ALLOWED, isHostNotAllowed } from './errors.ts';
export {
  HTTP_FAILURE,
  bodyInvalid,
  httpFailure,
  isHttpFailure,
  parseRetryAfter,
  type FailureReason,
  type HttpFailure,
} from './failure.ts';
export { createRateLimiter, unlimited, type RateLimiter } from './rate-limiter.ts';
export {
  RATE_LIMIT_DEADLINE,
  createWindowLimiter,
  isRateLimitDeadline,
  type WindowLimiter,
  type WindowLimiterOptions,
} from './window-limiter.ts';
export {
  RETRYABLE_STATUS_CODES,
  decideRetry,
  isTransientNetworkCode,
  isTransientStatus,
  retryDelay,
  type RetryDecision,
  type RetryDecisionInput,
} from './retry-policy.ts';
