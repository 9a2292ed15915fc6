/** Where the Devo sender connects and how it authenticates. */
export interface DevoSettings {
  host: string;
  port: number;
  /** `false` sends plain TCP to an in-house relay. */
  tls: boolean;
  /** PEM text of the client certificate, its private key and the Devo CA chain (required when `tls`). */
  cert?: string;
  key?: string;
  chain?: string;
  /** Base64 text of a PKCS#12 bundle replacing `cert` and `key` (never both); `chain` is still required. */
  pfx?: string;
  pfxPassphrase?: string;
  /** OpenSSL security level 0–5; absent: Node's default. */
  tlsSecurityLevel?: number;
  /** Longest framed line; longer events are cut with a marker. Absent: the sender's default (256 KiB). */
  maxEventBytes?: number;
  compression: 'none' | 'gzip';
}

/**
 * How state storage is reached: a connection string (Azurite, shared key) or the identity-based form
 * (`AzureWebJobsStorage__*` settings with a managed identity) used in Azure.
 */
export type StorageSettings =
  | { kind: 'connectionString'; connectionString: string; tableName: string; containerName: string }
  | {
      kind: 'identity';
      blobServiceUri: string;
      tableServiceUri: string;
      /** Client ID of a user-assigned managed identity; absent means the system-assigned one. */
      clientId?: string;
      tableName: string;
      containerName: string;
    };

/** Sizing of one Bloom dedupe filter. */
export interface DedupeSettings {
  capacity: number;
  bufferSize: number;
  errorRate: number;
}
