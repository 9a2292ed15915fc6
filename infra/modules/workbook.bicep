// Shared Azure Monitor workbook over the collectors' telemetry (same tables as the alert rules). The layout lives in
// ../workbook/o365devo.workbook.json; only the default resource is filled in here.

param location string
param tags object
@description('Application Insights component the workbook reads; a name known before deployment, for What-If.')
param applicationInsightsName string
param displayName string = 'Office 365 to Devo collectors'

var layout = loadJsonContent('../workbook/o365devo.workbook.json')

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A workbook's name must be a GUID; derive a stable one so redeploys update it in place.
  name: guid(resourceGroup().id, appInsights.id, 'o365devo-workbook')
  location: location
  tags: union(tags, { 'hidden-title': displayName })
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: appInsights.id
    version: 'Notebook/1.0'
    serializedData: string(union(layout, { fallbackResourceIds: [appInsights.id] }))
  }
}

output id string = workbook.id
