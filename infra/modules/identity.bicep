// User-assigned managed identity of the function app: host storage, Key Vault references, telemetry ingestion.
// User-assigned (not system-assigned) so its role assignments exist before the app first starts.

param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

output resourceId string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
