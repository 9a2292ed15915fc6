export { createHttpClient, redact, responseText, type HttpClientOptions, type RetryEvent } from './client.ts';
export { HOST_NOT_ALLOWED, isHostNotAllowed } from './errors.ts';
export { createRateLimiter, unlimited, type RateLimiter } from './rate-limiter.ts';
export { isRetryable, retryDelay, type RetryDecisionInput } from './retry-policy.ts';
