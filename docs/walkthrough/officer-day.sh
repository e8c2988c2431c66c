#!/usr/bin/env bash
# An officer's day against `markaz serve --demo` (needs curl, jq and GNU date). Run it with: bash docs/walkthrough/officer-day.sh
set -e
API=${API:-http://127.0.0.1:8000/graphql}
gql() { curl -s $API -H 'content-type: application/json' -H 'accept: application/graphql-response+json' -H 'accept-language: en' "$@"; }

# 1. Sign in (demo account printed by `markaz seed --demo`)
TOKEN=$(gql -d '{"query":"mutation { login(input: {badgeNumber: \"OFC-AL-THAQA-1\", password: \"markaz-demo-2026\"}) { accessToken errors { code message } } }"}' | jq -r .data.login.accessToken)
AUTH="authorization: Bearer $TOKEN"

# 2. Start a patrol while online
PATROL=11111111-1111-4111-8111-111111111111
gql -H "$AUTH" -d '{"query":"mutation($input: StartPatrolInput!) { startPatrol(input: $input) { patrol { id status } errors { field code message } } }",
  "variables":{"input":{"clientId":"'$PATROL'","startedAt":"'$(date -u -d '-2 hours' +%FT%TZ)'"}}}' | jq -c .

# 3. Offline: the app queues a meeting and an incident, then sends the queue when the network is back
cat > /tmp/batch.json <<JSON
{"query":"mutation(\$input: SyncFieldLogInput!) { syncFieldLog(input: \$input) { results { clientId kind status node { id __typename } errors { field code message } } } }",
 "variables":{"input":{"entries":[
  {"appendPatrolTrack":{"clientId":"22222222-2222-4222-8222-222222222222","patrolClientId":"$PATROL","fixes":[
     {"latitude":36.3800,"longitude":43.1480,"accuracyMeters":8,"recordedAt":"$(date -u -d '-110 minutes' +%FT%TZ)"},
     {"latitude":36.3830,"longitude":43.1520,"accuracyMeters":9,"recordedAt":"$(date -u -d '-100 minutes' +%FT%TZ)"}]}},
  {"logEngagement":{"clientId":"33333333-3333-4333-8333-333333333333","kind":"COMMUNITY_MEETING","patrolClientId":"$PATROL",
     "location":{"latitude":36.3831,"longitude":43.1522,"accuracyMeters":12},"occurredAt":"$(date -u -d '-95 minutes' +%FT%TZ)",
     "durationMinutes":45,"attendees":{"total":24,"women":9,"youth":6},"topics":["street lighting","school safety"],
     "followUps":[{"description":"Ask the municipality to repair the lights on the school road"}]}},
  {"reportIncident":{"clientId":"44444444-4444-4444-8444-444444444444","category":"THEFT",
     "location":{"latitude":36.3840,"longitude":43.1530,"accuracyMeters":10},"occurredAt":"$(date -u -d '-90 minutes' +%FT%TZ)",
     "description":"Shop owner reports a stolen generator"}},
  {"endPatrol":{"clientId":"55555555-5555-4555-8555-555555555555","patrolClientId":"$PATROL","endedAt":"$(date -u -d '-60 minutes' +%FT%TZ)"}}
 ]}}}
JSON
gql -H "$AUTH" -d @/tmp/batch.json | jq -c '.data.syncFieldLog.results[] | {kind, status, errors}'

# 4. The response was lost on a bad network: the app sends the same batch again. Nothing is duplicated.
gql -H "$AUTH" -d @/tmp/batch.json | jq -c '.data.syncFieldLog.results[] | {kind, status}'
