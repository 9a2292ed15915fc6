import { CLOUDS, type Cloud } from '../clouds.ts';
import { rawValue, type Env } from '../spec.ts';

/** The tenant's cloud as O365_CLOUD says, for defaults that depend on it; an invalid value is reported by O365_CLOUD itself. */
export function cloudOf(env: Env): Cloud {
  const raw = rawValue(env, 'O365_CLOUD')?.toLowerCase();
  return CLOUDS.find((c) => c === raw) ?? 'commercial';
}
