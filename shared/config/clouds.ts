/** The Microsoft clouds a tenant can live in; each has its own hosts and login authority. */
export const CLOUDS = ['commercial', 'gcc', 'gcchigh', 'dod'] as const;
export type Cloud = (typeof CLOUDS)[number];

interface CloudEndpoints {
  /** Entra ID login host used for client-credential tokens. */
  authorityHost: string;
}

/** Per-cloud defaults. GCC tenants sign in on the commercial authority; GCC High and DoD on the US Government one. */
export const CLOUD_ENDPOINTS: Readonly<Record<Cloud, CloudEndpoints>> = {
  commercial: { authorityHost: 'https://login.microsoftonline.com' },
  gcc: { authorityHost: 'https://login.microsoftonline.com' },
  gcchigh: { authorityHost: 'https://login.microsoftonline.us' },
  dod: { authorityHost: 'https://login.microsoftonline.us' },
};

/** Management Activity API base URL per cloud. */
export const MANAGEMENT_API_HOSTS: Readonly<Record<Cloud, string>> = {
  commercial: 'https://manage.office.com',
  gcc: 'https://manage-gcc.office.com',
  gcchigh: 'https://manage.office365.us',
  dod: 'https://manage.protection.apps.mil',
};
