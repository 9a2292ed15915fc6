// Alert rules on the collectors' telemetry. One approach throughout: scheduled query rules (log alerts) scoped to
// the workspace-based Application Insights component, querying its classic tables `customMetrics` (the app's
// OpenTelemetry metrics, dimension `function`), `requests` and `exceptions` (the Functions host). Each query returns
// one row per function in trouble, so a rule fires per function (dimension `fn`).

param location string
param tags object
param applicationInsightsId string

@description('Where alert e-mails go. Empty: the action group is created without receivers.')
param alertEmail string

@description('Functions expected to send events; the "no events" rule watches these.')
param eventFunctions array

@description('Hours without a single event sent to Devo before a function is reported as silent.')
@minValue(1)
@maxValue(48)
param noEventsHours int

@description('Delivery lag, in seconds, above which a function is reported as late.')
@minValue(60)
param maxLagSeconds int

@description('Devo send failures tolerated per 15 minutes before alerting.')
@minValue(0)
param devoSendFailuresThreshold int

param namePrefix string

var emailReceivers = empty(alertEmail) ? [] : [
  {
    name: 'operator'
    emailAddress: alertEmail
    useCommonAlertSchema: true
  }
]

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${namePrefix}-alerts'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'o365devo'
    enabled: true
    emailReceivers: emailReceivers
  }
}

// KQL templates; {0} is filled in with format() below.
var noEventsTemplate = '''
let expected = dynamic({0});
let sent = customMetrics
  | where name == "o365devo.events.sent"
  | extend fn = tostring(customDimensions["function"])
  | summarize events = sum(valueSum) by fn;
print fn = expected
| mv-expand fn to typeof(string)
| join kind=leftouter sent on fn
| where isnull(events) or events == 0
| project fn
'''
var noEventsQuery = format(noEventsTemplate, string(eventFunctions))

var failuresQuery = '''
union
  (requests | where success == false | project fn = operation_Name),
  (exceptions | project fn = operation_Name),
  (customMetrics
    | where name in ("o365devo.blobs.failed", "o365devo.records.lost") and valueSum > 0
    | project fn = tostring(customDimensions["function"]))
| extend fn = iff(isempty(fn), "host", fn)
| summarize failures = count() by fn
'''

var lagTemplate = '''
customMetrics
| where name == "o365devo.delivery.lag_seconds"
| extend fn = tostring(customDimensions["function"])
| summarize lag = max(valueMax) by fn
| where lag > {0}
'''
var lagQuery = format(lagTemplate, maxLagSeconds)

var devoFailuresTemplate = '''
customMetrics
| where name == "o365devo.devo.send_failures"
| extend fn = tostring(customDimensions["function"])
| summarize failures = sum(valueSum) by fn
| where failures > {0}
'''
var devoFailuresQuery = format(devoFailuresTemplate, devoSendFailuresThreshold)

var rules = [
  {
    name: 'no-events'
    displayName: 'O365 to Devo: no events sent'
    description: 'An enabled collector sent no event to Devo for ${noEventsHours} hours.'
    severity: 2
    query: noEventsQuery
    frequency: 'PT1H'
    window: 'PT${noEventsHours}H'
  }
  {
    name: 'function-failures'
    displayName: 'O365 to Devo: function failures'
    description: 'A function invocation failed, threw, or reported failed content blobs or lost records.'
    severity: 1
    query: failuresQuery
    frequency: 'PT15M'
    window: 'PT15M'
  }
  {
    name: 'delivery-lag'
    displayName: 'O365 to Devo: delivery lag'
    description: 'Events reach Devo more than ${maxLagSeconds} seconds after they were created.'
    severity: 2
    query: lagQuery
    frequency: 'PT15M'
    window: 'PT30M'
  }
  {
    name: 'devo-send-failures'
    displayName: 'O365 to Devo: Devo send failures'
    description: 'Sending to Devo failed more than ${devoSendFailuresThreshold} times in 15 minutes.'
    severity: 1
    query: devoFailuresQuery
    frequency: 'PT15M'
    window: 'PT15M'
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = [
  for rule in rules: {
    name: '${namePrefix}-${rule.name}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [applicationInsightsId]
      evaluationFrequency: rule.frequency
      windowSize: rule.window
      autoMitigate: true
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Count'
            dimensions: [
              {
                name: 'fn'
                operator: 'Include'
                values: ['*']
              }
            ]
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: {
        actionGroups: [actionGroup.id]
      }
    }
  }
]

output actionGroupId string = actionGroup.id
