// Azure deployment of o365-devo-functions: a Flex Consumption function app (Node 22) with its storage, Key Vault,
// monitoring, alert rules and workbook. azd fills the parameters from its environment through main.parameters.json;
// the walk-through is README.md, "Deploying to Azure".
//
// To add an app setting: add it to shared/config/schema, then add a parameter below (its default equal to the
// schema default) and one line to `appSettings`, and map the parameter in main.parameters.json.
// test/infra/bicep.test.ts fails until all of them agree.
targetScope = 'subscription'

// ----------------------------------------------------------------------------------------------------------------
// Environment
// ----------------------------------------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('azd environment name: names the resource group and seeds the unique resource names.')
param environmentName string

@minLength(1)
@description('Region of every resource. Flex Consumption is not offered everywhere: az functionapp list-flexconsumption-locations.')
@metadata({ azd: { type: 'location' } })
param location string

@description('Resource group to create or reuse. Empty: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Object ID of whoever runs the deployment (azd sets AZURE_PRINCIPAL_ID); gets Key Vault Secrets Officer to upload secrets.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal'])
param principalType string = 'User'

// ----------------------------------------------------------------------------------------------------------------
// Infrastructure choices
// ----------------------------------------------------------------------------------------------------------------

@description('Key Vault purge protection. Recommended in production; once on it cannot be switched off.')
param keyVaultPurgeProtection bool = false

@description('Most instances the Flex plan may run. Timer functions scale one by one: keep at least one per function.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 10

@description('Comma-separated function names to switch off (AzureWebJobs.<name>.Disabled = true); the legacy input_status.')
param disabledFunctions string = ''

@description('Credential of the Office 365 app registration the app reads from Key Vault: the client secret or a PEM certificate.')
@allowed(['secret', 'certificate'])
param o365Credential string = 'secret'

@description('Devo client credential the app reads from Key Vault: the PEM certificate and key (devo-cert, devo-key) or a PKCS#12 bundle (devo-pfx, with devo-pfx-passphrase when it has one). The chain (devo-chain) is needed with both.')
@allowed(['pem', 'pfx'])
param devoCredential string = 'pem'

@description('E-mail address that receives the alerts. Empty: alerts are only visible in the portal.')
param alertEmail string = ''

@description('Hours without any event sent before an enabled collector is reported as silent.')
@minValue(1)
@maxValue(48)
param alertNoEventsHours int = 6

@description('Delivery lag in seconds above which a collector is reported as late.')
@minValue(60)
param alertMaxLagSeconds int = 3600

@description('Devo send failures tolerated per 15 minutes before alerting.')
@minValue(0)
param alertDevoSendFailures int = 0

// ----------------------------------------------------------------------------------------------------------------
// App settings (see shared/config/schema and the settings table in README.md). Defaults equal the schema's; an
// empty value leaves the setting out so the app applies its own default.
// ----------------------------------------------------------------------------------------------------------------

@description('STATE_TABLE_NAME: table holding one cursor per function.')
param stateTableName string = 'o365devostate'

@description('STATE_CONTAINER_NAME: blob container holding the dedupe filter state.')
param stateContainerName string = 'o365devo-state'

@description('O365_TENANT_ID: directory (tenant) ID of the Office 365 tenant.')
param o365TenantId string

@description('O365_CLIENT_ID: application (client) ID of the app registration.')
param o365ClientId string

@description('O365_CLOUD: Microsoft cloud of the tenant.')
@allowed(['commercial', 'gcc', 'gcchigh', 'dod'])
param o365Cloud string = 'commercial'

@description('O365_AUTHORITY_HOST: Entra ID login host override. Empty: per O365_CLOUD.')
param o365AuthorityHost string = ''

@description('DEVO_HOST: Devo collector endpoint or relay.')
param devoHost string = 'collector-us.devo.io'

@description('DEVO_PORT: Devo collector port.')
param devoPort string = '443'

@description('DEVO_TLS: mutual TLS to Devo; false sends plain TCP to an in-house relay.')
@allowed(['true', 'false'])
param devoTls string = 'true'

@description('DEVO_TLS_SECURITY_LEVEL: OpenSSL security level 0-5. Empty: Node\'s default (1). 0 only for an old Devo domain certificate refused with CA_MD_TOO_WEAK.')
param devoTlsSecurityLevel string = ''

@description('DEVO_MAX_EVENT_BYTES: longest syslog line sent to Devo; a longer event is cut to fit and ends in [o365devo:truncated].')
param devoMaxEventBytes string = '262144'

@description('DEVO_COMPRESSION: none or gzip.')
@allowed(['none', 'gzip'])
param devoCompression string = 'none'

@description('BLOOM_FILTER_SIZE: records one dedupe filter holds before it is reset.')
param bloomFilterSize string = '10000000'

@description('BLOOM_FILTER_BUFFER_SIZE: recent record hashes kept to reseed a filter.')
param bloomFilterBufferSize string = '100000'

@description('BLOOM_FILTER_ERROR_RATE: target false-positive rate of a full filter.')
param bloomFilterErrorRate string = '0.000001'

@description('AUDIT_AZUREACTIVEDIRECTORY_SCHEDULE: NCRONTAB schedule of auditAzureActiveDirectory (UTC).')
param auditAzureActiveDirectorySchedule string = '0 */5 * * * *'

@description('AUDIT_EXCHANGE_SCHEDULE: NCRONTAB schedule of auditExchange (UTC).')
param auditExchangeSchedule string = '0 */5 * * * *'

@description('AUDIT_SHAREPOINT_SCHEDULE: NCRONTAB schedule of auditSharePoint (UTC).')
param auditSharePointSchedule string = '0 */5 * * * *'

@description('AUDIT_GENERAL_SCHEDULE: NCRONTAB schedule of auditGeneral (UTC).')
param auditGeneralSchedule string = '0 */5 * * * *'

@description('DLP_ALL_SCHEDULE: NCRONTAB schedule of dlpAll (UTC).')
param dlpAllSchedule string = '0 */5 * * * *'

@description('URI_RETRY_SCHEDULE: NCRONTAB schedule of uriRetry (UTC).')
param uriRetrySchedule string = '0 */15 * * * *'

@description('MESSAGE_TRACE_SCHEDULE: NCRONTAB schedule of messageTrace (UTC).')
param messageTraceSchedule string = '0 */10 * * * *'

@description('MANAGEMENT_API_URL: Management Activity API base URL. Empty: per O365_CLOUD.')
param managementApiUrl string = ''

@description('MANAGEMENT_API_RESOURCE: token audience of the Management Activity API. Empty: MANAGEMENT_API_URL.')
param managementApiResource string = ''

@description('MANAGEMENT_START_TIME: where a function starts without a cursor (ISO 8601 UTC). Empty: 7 days back.')
param managementStartTime string = ''

@description('MANAGEMENT_FETCH_CONCURRENCY: content blobs fetched at the same time per function.')
param managementFetchConcurrency string = '8'

@description('MANAGEMENT_RELIST_SECONDS: each run lists this span before its cursor again, for content listed late.')
param managementRelistSeconds string = '900'

@description('REQUESTS_PER_SECOND: optional cap on API requests per second per instance. Empty: no cap.')
param requestsPerSecond string = ''

@description('OBFUSCATE_FIELDS: comma-separated field names replaced by a keyed hash. Empty: none.')
param obfuscateFields string = ''

@description('MESSAGE_TRACE_API: graph or rws. Empty: graph for commercial and gcc, rws for gcchigh and dod.')
param messageTraceApi string = ''

@description('MESSAGE_TRACE_URL: message trace base URL. Empty: per back end and cloud (DoD must set it).')
param messageTraceUrl string = ''

@description('MESSAGE_TRACE_RESOURCE: message trace token audience. Empty: per back end and cloud (DoD must set it).')
param messageTraceResource string = ''

@description('MESSAGE_TRACE_DELAY_SECONDS: only rows older than now minus this are requested (1..172800).')
param messageTraceDelaySeconds string = '90000'

@description('MESSAGE_TRACE_DAYS_BACK: first start and oldest start ever requested, in days.')
param messageTraceDaysBack string = '10'

@description('MESSAGE_TRACE_MARGIN_SECONDS: keeps the oldest start inside the API limit.')
param messageTraceMarginSeconds string = '60'

@description('MESSAGE_TRACE_RESET: a new YYYY-MM-DD value clears the message trace persistence. Empty: none.')
param messageTraceReset string = ''

@description('MESSAGE_TRACE_OUTPUT_FORMAT: legacy (RWS field names for Devo\'s parser) or graph (rows unchanged).')
@allowed([
  'legacy'
  'graph'
])
param messageTraceOutputFormat string = 'legacy'

@description('MESSAGE_TRACE_ORGANIZATION: Organization field of mapped Graph rows. Empty: the tenant ID.')
param messageTraceOrganization string = ''

@description('MESSAGE_TRACE_REQUESTS_PER_5_MINUTES: client-side Graph request budget (Microsoft allows 100).')
param messageTraceRequestsPer5Minutes string = '90'

@description('AzureFunctionsJobHost__functionTimeout: the host\'s time limit per invocation (hh:mm:ss).')
param functionTimeout string = '00:30:00'

@description('HTTP_TIMEOUT_SECONDS: time limit of one API request attempt.')
param httpTimeoutSeconds string = '60'

@description('HTTP_RETRIES: retries of a failed API request.')
param httpRetries string = '5'

@description('HTTP_RETRY_WAIT_SECONDS: first wait between retries.')
param httpRetryWaitSeconds string = '2'

@description('HTTP_MAX_RETRY_WAIT_SECONDS: longest single wait between retries.')
param httpMaxRetryWaitSeconds string = '300'

@description('LOG_LEVEL: debug adds the traces of every request, window, blob, checkpoint and Devo connection; it also sets the host log level of the functions.')
@allowed(['info', 'debug'])
param logLevel string = 'info'

// ----------------------------------------------------------------------------------------------------------------
// Secrets. Each is written to Key Vault when given; leave it empty to upload it later with
// `az keyvault secret set` (README.md, "Deploying to Azure"). The app reads them through Key Vault references.
// ----------------------------------------------------------------------------------------------------------------

@secure()
@description('O365_CLIENT_SECRET value (Key Vault secret o365-client-secret).')
param o365ClientSecret string = ''

@secure()
@description('O365_CLIENT_CERTIFICATE PEM, certificate and key (Key Vault secret o365-client-certificate).')
param o365ClientCertificate string = ''

@secure()
@description('DEVO_CERT PEM (Key Vault secret devo-cert).')
param devoCert string = ''

@secure()
@description('DEVO_KEY PEM (Key Vault secret devo-key).')
param devoKey string = ''

@secure()
@description('DEVO_CHAIN PEM (Key Vault secret devo-chain).')
param devoChain string = ''

@secure()
@description('DEVO_PFX: base64 text of the PKCS#12 bundle (Key Vault secret devo-pfx), with devoCredential=pfx.')
param devoPfx string = ''

@secure()
@description('DEVO_PFX_PASSPHRASE of the bundle (Key Vault secret devo-pfx-passphrase). Leave empty for a bundle without one; DEVO_PFX_PASSPHRASE is then not set.')
param devoPfxPassphrase string = ''

@secure()
@description('OBFUSCATION_KEY, at least 16 characters (Key Vault secret obfuscation-key).')
param obfuscationKey string = ''

// ----------------------------------------------------------------------------------------------------------------
// Names
// ----------------------------------------------------------------------------------------------------------------

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = 'func-o365devo-${resourceToken}'
var keyVaultName = 'kv-${resourceToken}'
var storageAccountName = 'st${resourceToken}'
var applicationInsightsName = 'appi-o365devo-${resourceToken}'
var deploymentContainerName = 'app-package'

/** The value of an app setting that the platform resolves from Key Vault with the app's identity. */
func keyVaultReference(vaultName string, secretName string) string => '@Microsoft.KeyVault(VaultName=${vaultName};SecretName=${secretName})'

var secretNames = {
  o365ClientSecret: 'o365-client-secret'
  o365ClientCertificate: 'o365-client-certificate'
  devoCert: 'devo-cert'
  devoKey: 'devo-key'
  devoChain: 'devo-chain'
  devoPfx: 'devo-pfx'
  devoPfxPassphrase: 'devo-pfx-passphrase'
  obfuscationKey: 'obfuscation-key'
}

// ----------------------------------------------------------------------------------------------------------------
// Functions
// ----------------------------------------------------------------------------------------------------------------

// The app's timer functions; each has a *_SCHEDULE setting in the schema.
var functionNames = [
  'auditAzureActiveDirectory'
  'auditExchange'
  'auditSharePoint'
  'auditGeneral'
  'dlpAll'
  'uriRetry'
  'messageTrace'
]

var disabledNames = map(filter(split(disabledFunctions, ','), name => !empty(trim(name))), name => toLower(trim(name)))

// AzureWebJobs.<name>.Disabled for every function, 'true' or 'false', so either can be flipped in place later.
var functionSwitches = toObject(functionNames, name => 'AzureWebJobs.${name}.Disabled', name => contains(disabledNames, toLower(name)) ? 'true' : 'false')

// uriRetry only resends content that failed before, so silence there is normal.
var eventFunctions = filter(functionNames, name => name != 'uriRetry' && !contains(disabledNames, toLower(name)))

var devoTlsOn = toLower(devoTls) == 'true'
// Exactly one form of the Devo client credential becomes app settings: the app refuses both at once.
var devoPem = devoTlsOn && devoCredential == 'pem'
var devoPkcs12 = devoTlsOn && devoCredential == 'pfx'

// ----------------------------------------------------------------------------------------------------------------
// App settings: one entry per setting of the schema that is not local-only, plus the host's own.
// ----------------------------------------------------------------------------------------------------------------

var appSettings = {
  // Identity-based host storage; the service URIs come from the account so sovereign clouds work.
  AzureWebJobsStorage__accountName: storage.outputs.name
  AzureWebJobsStorage__blobServiceUri: storage.outputs.blobEndpoint
  AzureWebJobsStorage__tableServiceUri: storage.outputs.tableEndpoint
  AzureWebJobsStorage__queueServiceUri: storage.outputs.queueEndpoint
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.outputs.clientId
  // Host telemetry, ingested with Entra ID only.
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'
  // Product settings.
  STATE_TABLE_NAME: stateTableName
  STATE_CONTAINER_NAME: stateContainerName
  O365_TENANT_ID: o365TenantId
  O365_CLIENT_ID: o365ClientId
  O365_CLIENT_SECRET: o365Credential == 'secret' ? keyVaultReference(keyVaultName, secretNames.o365ClientSecret) : ''
  O365_CLIENT_CERTIFICATE: o365Credential == 'certificate' ? keyVaultReference(keyVaultName, secretNames.o365ClientCertificate) : ''
  O365_CLOUD: o365Cloud
  O365_AUTHORITY_HOST: o365AuthorityHost
  DEVO_HOST: devoHost
  DEVO_PORT: devoPort
  DEVO_TLS: devoTls
  DEVO_CERT: devoPem ? keyVaultReference(keyVaultName, secretNames.devoCert) : ''
  DEVO_KEY: devoPem ? keyVaultReference(keyVaultName, secretNames.devoKey) : ''
  DEVO_CHAIN: devoTlsOn ? keyVaultReference(keyVaultName, secretNames.devoChain) : ''
  DEVO_PFX: devoPkcs12 ? keyVaultReference(keyVaultName, secretNames.devoPfx) : ''
  // A reference to a secret that was never written would not resolve, so it is only set when a passphrase is given.
  DEVO_PFX_PASSPHRASE: devoPkcs12 && !empty(devoPfxPassphrase) ? keyVaultReference(keyVaultName, secretNames.devoPfxPassphrase) : ''
  DEVO_TLS_SECURITY_LEVEL: devoTlsSecurityLevel
  DEVO_MAX_EVENT_BYTES: devoMaxEventBytes
  DEVO_COMPRESSION: devoCompression
  BLOOM_FILTER_SIZE: bloomFilterSize
  BLOOM_FILTER_BUFFER_SIZE: bloomFilterBufferSize
  BLOOM_FILTER_ERROR_RATE: bloomFilterErrorRate
  AUDIT_AZUREACTIVEDIRECTORY_SCHEDULE: auditAzureActiveDirectorySchedule
  AUDIT_EXCHANGE_SCHEDULE: auditExchangeSchedule
  AUDIT_SHAREPOINT_SCHEDULE: auditSharePointSchedule
  AUDIT_GENERAL_SCHEDULE: auditGeneralSchedule
  DLP_ALL_SCHEDULE: dlpAllSchedule
  URI_RETRY_SCHEDULE: uriRetrySchedule
  MESSAGE_TRACE_SCHEDULE: messageTraceSchedule
  MANAGEMENT_API_URL: managementApiUrl
  MANAGEMENT_API_RESOURCE: managementApiResource
  MANAGEMENT_START_TIME: managementStartTime
  MANAGEMENT_FETCH_CONCURRENCY: managementFetchConcurrency
  MANAGEMENT_RELIST_SECONDS: managementRelistSeconds
  REQUESTS_PER_SECOND: requestsPerSecond
  OBFUSCATE_FIELDS: obfuscateFields
  OBFUSCATION_KEY: empty(obfuscateFields) ? '' : keyVaultReference(keyVaultName, secretNames.obfuscationKey)
  MESSAGE_TRACE_API: messageTraceApi
  MESSAGE_TRACE_URL: messageTraceUrl
  MESSAGE_TRACE_RESOURCE: messageTraceResource
  MESSAGE_TRACE_DELAY_SECONDS: messageTraceDelaySeconds
  MESSAGE_TRACE_DAYS_BACK: messageTraceDaysBack
  MESSAGE_TRACE_MARGIN_SECONDS: messageTraceMarginSeconds
  MESSAGE_TRACE_RESET: messageTraceReset
  MESSAGE_TRACE_OUTPUT_FORMAT: messageTraceOutputFormat
  MESSAGE_TRACE_ORGANIZATION: messageTraceOrganization
  MESSAGE_TRACE_REQUESTS_PER_5_MINUTES: messageTraceRequestsPer5Minutes
  AzureFunctionsJobHost__functionTimeout: functionTimeout
  HTTP_TIMEOUT_SECONDS: httpTimeoutSeconds
  HTTP_RETRIES: httpRetries
  HTTP_RETRY_WAIT_SECONDS: httpRetryWaitSeconds
  HTTP_MAX_RETRY_WAIT_SECONDS: httpMaxRetryWaitSeconds
  LOG_LEVEL: logLevel
  // The host keeps function logs down to this level: the switch that shows or hides the debug traces in Azure.
  AzureFunctionsJobHost__logging__logLevel__Function: logLevel == 'debug' ? 'Debug' : 'Information'
  // The worker's V8 young generation, capped at 4 MB per semi-space instead of 16: a catch-up allocates mostly
  // short-lived buffers, so smaller scavenges free them sooner. One V8 background thread instead of four: the work
  // is one event loop, and the extra garbage-collection and compiler threads spent CPU without shortening a run.
  // npm run bench measures the app with this same value.
  NODE_OPTIONS: '--max-semi-space-size=4 --v8-pool-size=1'
}

// ----------------------------------------------------------------------------------------------------------------
// Resources
// ----------------------------------------------------------------------------------------------------------------

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-o365devo-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-o365devo-${resourceToken}'
    applicationInsightsName: applicationInsightsName
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: storageAccountName
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    stateTableName: stateTableName
    stateContainerName: stateContainerName
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: keyVaultName
    location: location
    tags: tags
    enablePurgeProtection: keyVaultPurgeProtection
    secretValues: {
      '${secretNames.o365ClientSecret}': o365ClientSecret
      '${secretNames.o365ClientCertificate}': o365ClientCertificate
      '${secretNames.devoCert}': devoCert
      '${secretNames.devoKey}': devoKey
      '${secretNames.devoChain}': devoChain
      '${secretNames.devoPfx}': devoPfx
      '${secretNames.devoPfxPassphrase}': devoPfxPassphrase
      '${secretNames.obfuscationKey}': obfuscationKey
    }
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  // Names known before deployment (not module outputs), so What-If can predict the assignments.
  dependsOn: [storage, keyVault, monitoring]
  params: {
    storageAccountName: storageAccountName
    keyVaultName: keyVaultName
    applicationInsightsName: applicationInsightsName
    #disable-next-line what-if-short-circuiting // assignment names hash it; new names would clash on redeploy
    appPrincipalId: identity.outputs.principalId
    operatorPrincipalId: principalId
    operatorPrincipalType: principalType
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  // The host reaches storage, Key Vault and Application Insights as soon as it starts.
  dependsOn: [rbac]
  params: {
    name: functionAppName
    planName: 'plan-o365devo-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.resourceId
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    maximumInstanceCount: maximumInstanceCount
    appSettings: union(appSettings, functionSwitches)
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    namePrefix: 'o365devo'
    location: location
    tags: tags
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    alertEmail: alertEmail
    eventFunctions: eventFunctions
    noEventsHours: alertNoEventsHours
    maxLagSeconds: alertMaxLagSeconds
    devoSendFailuresThreshold: alertDevoSendFailures
  }
}

module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  dependsOn: [monitoring]
  params: {
    location: location
    tags: tags
    applicationInsightsName: applicationInsightsName
  }
}

// ----------------------------------------------------------------------------------------------------------------
// Outputs (azd stores them in the environment: `azd env get-value AZURE_KEY_VAULT_NAME`)
// ----------------------------------------------------------------------------------------------------------------

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_APPLICATION_INSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
