// Shared Azure Monitor workbook over the collectors' telemetry (same tables as the alert rules). The layout lives in
// ../workbook/o365devo.workbook.json; only the default resource is filled in here.

param location string
param tags object
param applicationInsightsId string
param displayName string = 'Office 365 to Devo collectors'

var layout = loadJsonContent('../workbook/o365devo.workbook.json')

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A workbook's name must be a GUID; derive a stable one so redeploys update it in place.
  name: guid(resourceGroup().id, applicationInsightsId, 'o365devo-workbook')
  location: location
  tags: union(tags, { 'hidden-title': displayName })
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: applicationInsightsId
    version: 'Notebook/1.0'
    serializedData: string(union(layout, { fallbackResourceIds: [applicationInsightsId] }))
  }
}

output id string = workbook.id
