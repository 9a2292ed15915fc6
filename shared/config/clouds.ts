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

/** Message trace back end per cloud: Graph where it exists, the legacy Reporting Web Service for US Government. */
export const MESSAGE_TRACE_DEFAULTS: Readonly<
  Record<Cloud, { api: 'graph' | 'rws'; rwsUrl: string | undefined; rwsResource: string | undefined }>
> = {
  commercial: { api: 'graph', rwsUrl: 'https://reports.office365.com', rwsResource: 'https://outlook.office365.com' },
  gcc: { api: 'graph', rwsUrl: 'https://reports.office365.com', rwsResource: 'https://outlook.office365.com' },
  // GCC High: host per Microsoft's US Government endpoints; confirm in your tenant and override if needed.
  gcchigh: { api: 'rws', rwsUrl: 'https://reports.office365.us', rwsResource: 'https://outlook.office365.us' },
  // DoD: no documented RWS host; MESSAGE_TRACE_URL and MESSAGE_TRACE_RESOURCE must be set.
  dod: { api: 'rws', rwsUrl: undefined, rwsResource: undefined },
};

export const GRAPH_URL = 'https://graph.microsoft.com';
