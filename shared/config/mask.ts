/** Tenant and client IDs appear in logs only as their first four characters, enough to tell two tenants apart. */
export function maskIdentifier(value: string | undefined): string {
  if (value === undefined || value === '') return '(unset)';
  return `${value.slice(0, 4)}****`;
}
