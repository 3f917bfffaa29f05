#!/usr/bin/env bash
# The chain over REST only (curl, mutual TLS with the development certificates): COA announces, the
# municipality reads the arrival, fetches and acknowledges its notice (pull feed), COA reports departure and arrival, the municipality reports the BRP
# registration and the BSNs, and everyone sees the outcome. Refusals are checked too: each must be a
# problem (application/problem+json) with the right status.
#   tests/interop/rest/flow.sh https://127.0.0.1:5443 certs/dev
set -euo pipefail
base=${1:?gateway address}
certs=${2:?certificate directory}
run=${3:-$RANDOM$RANDOM}

fail() { echo "FAIL: $*" >&2; exit 1; }

# call ORGANISATION METHOD PATH [BODY]: sets $status and $type; the answer's body is then $(body).
call() {
  local org=$1 method=$2 path=$3 body=${4:-}
  local args=(--silent --show-error --cacert "$certs/ca.crt" --cert "$certs/$org.crt" --key "$certs/$org.key"
    -X "$method" -o /tmp/exgw-rest-body.$$ -w '%{http_code} %{content_type}\n')
  if [[ -n $body ]]; then args+=(-H 'Content-Type: application/json' --data-binary "$body"); fi
  read -r status type < <(curl "${args[@]}" "$base$path")
}

body() { cat /tmp/exgw-rest-body.$$; }

expect() { # expect STATUS CONTENT-TYPE-PREFIX WHAT
  [[ $status == "$1" ]] || fail "$3: expected HTTP $1, got $status: $(cat /tmp/exgw-rest-body.$$)"
  [[ $type == "$2"* ]] || fail "$3: expected $2, got $type"
  echo "ok: $3"
}

field() { node -e "const v=JSON.parse(require('fs').readFileSync(0,'utf8'));console.log($1)"; }

v1=$((4000000000 + RANDOM * 1000 + RANDOM % 1000)); v2=$((v1 + 1))
expected=$(date -u -d '+14 days' +%Y-%m-%d)
read -r year month day <<<"${expected//-/ }"
announcement=$(cat <<JSON
{"requestId":"rest-$run-1","arrival":{"kind":"ARRIVAL_KIND_FAMILY_REUNIFICATION","municipalityCode":"0363",
 "caseReference":"REST-$run","expectedArrivalDate":{"year":$year,"month":${month#0},"day":${day#0}},
 "destinationAddress":{"street":"Damstraat","houseNumber":1,"postalCode":"1012JL","city":"Amsterdam"},
 "referent":{"vNumber":"$((v1 + 7))","name":{"givenNames":"Referent","surname":"Rest"}},
 "travellers":[
  {"vNumber":"$v1","name":{"givenNames":"Amal","surname":"Rest"},"birthDate":{"year":1990},"sex":"SEX_FEMALE","nationality":"SYR","relation":"RELATION_SPOUSE"},
  {"vNumber":"$v2","name":{"givenNames":"Sami","surname":"Rest"},"birthDate":{"year":2015},"sex":"SEX_MALE","nationality":"SYR","relation":"RELATION_CHILD"}]}}
JSON
)

call coa POST /v1/arrivals "$announcement"; expect 200 application/json "COA announces an arrival"; answer=$(body)
id=$(field v.arrival.arrivalId <<<"$answer")
[[ -n $id && $id != undefined ]] || fail "no arrival id in $answer"

call coa POST /v1/arrivals "$announcement"; expect 200 application/json "the same request_id again returns the first answer"; again=$(body)
[[ $(field v.arrival.arrivalId <<<"$again") == "$id" ]] || fail "a repeat made another arrival"

call coa POST /v1/arrivals '{"requestId":"rest-'"$run"'-bad","arrival":{"municipalityCode":"0363"}}'
expect 400 application/problem+json "an incomplete announcement is a problem"
names=$(field 'v.invalidParams.map(p=>p.name).join(",")' <<<"$(body)")
[[ $names == *arrival.case_reference* ]] || fail "invalidParams does not name arrival.case_reference: $names"

call gemeente-amsterdam POST /v1/arrivals "$announcement"; expect 403 application/problem+json "a municipality may not announce"
call gemeente-utrecht GET "/v1/arrivals/$id"; expect 404 application/problem+json "another municipality's arrival is not found"

call gemeente-amsterdam GET "/v1/arrivals/$id"; expect 200 application/json "the municipality reads its arrival"; seen=$(body)
[[ $(field v.arrival.details.caseReference <<<"$seen") == "REST-$run" ]] || fail "the municipality sees another case: $seen"

call gemeente-amsterdam GET "/v1/arrivals?caseReference=REST-$run"; expect 200 application/json "the municipality finds it by case reference"; listed=$(body)
[[ $(field 'v.arrivals.length' <<<"$listed") == 1 ]] || fail "listing by case reference: $listed"

call gemeente-amsterdam POST /v1/notice-leases '{"maxNotices":100,"wait":"10s"}'; expect 200 application/json "the municipality fetches its notices (long poll)"; leased=$(body)
seq=$(field "v.notices.filter(n=>n.subject==='$id' && n.arrivalAnnounced).map(n=>n.sequence)[0]" <<<"$leased")
[[ -n $seq && $seq != undefined ]] || fail "the announcement is not among the fetched notices: $leased"
call gemeente-amsterdam POST /v1/notice-leases '{"maxNotices":100}'; expect 200 application/json "a second poller gets nothing the first holds"
[[ $(field "v.notices.some(n=>n.sequence==$seq)" <<<"$(body)") == false ]] || fail "a leased notice went to a second fetch"
call gemeente-amsterdam POST /v1/notice-acknowledgements '{"sequences":["'"$seq"'"]}'; expect 200 application/json "the municipality acknowledges it"
[[ $(field "v.sequences.map(String).includes('$seq')" <<<"$(body)") == true ]] || fail "the acknowledgement was not confirmed: $(body)"
call coa GET "/v1/arrivals/$id"; expect 200 application/json "COA sees it received"
[[ $(field v.arrival.state <<<"$(body)") == ARRIVAL_STATE_ACKNOWLEDGED ]] || fail "not acknowledged after the municipality's acknowledgement: $(body)"

now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
call coa POST "/v1/arrivals/$id/departure" '{"requestId":"rest-'"$run"'-2","departedAt":"'"$now"'"}'; expect 200 application/json "COA reports the departure"
call coa POST "/v1/arrivals/$id/travellers-arrived" '{"requestId":"rest-'"$run"'-3","arrivedAt":"'"$now"'"}'; expect 200 application/json "COA reports the arrival"

today=$(date -u +%Y-%m-%d); read -r ty tm td <<<"${today//-/ }"
call gemeente-amsterdam POST "/v1/arrivals/$id/registrations" '{"requestId":"rest-'"$run"'-4","registrations":[
  {"vNumber":"'"$v1"'","status":"REGISTRATION_STATUS_REGISTERED","registeredOn":{"year":'"$ty"',"month":'"${tm#0}"',"day":'"${td#0}"'}},
  {"vNumber":"'"$v2"'","status":"REGISTRATION_STATUS_REGISTERED","registeredOn":{"year":'"$ty"',"month":'"${tm#0}"',"day":'"${td#0}"'}}]}'
expect 200 application/json "the municipality reports the BRP registration"; registered=$(body)

call gemeente-amsterdam POST "/v1/arrivals/$id/bsn-assignments" '{"requestId":"rest-'"$run"'-5","assignments":[
  {"vNumber":"'"$v1"'","bsn":"'"${BSN1:-111222333}"'"},{"vNumber":"'"$v2"'","bsn":"'"${BSN2:-123456782}"'"}]}'
expect 200 application/json "the municipality reports the BSNs"; bsn=$(body)

call coa GET "/v1/arrivals/$id"; expect 200 application/json "COA reads the outcome"; final=$(body)
state=$(field v.arrival.state <<<"$final")
echo "arrival $id: $state"
[[ $(field 'v.arrival.travellers.every(t=>t.bsn)' <<<"$final") == true ]] || fail "not every traveller has a BSN: $final"

call gemeente-utrecht GET /v1/openapi.json; expect 200 application/json "the OpenAPI document is served"
[[ $(field v.openapi <<<"$(body)") == 3.* ]] || fail "/v1/openapi.json is not an OpenAPI 3 document"

call coa GET /v1/nothing-here; expect 404 application/problem+json "an unknown path is a problem"
curl --silent --cacert "$certs/ca.crt" -o /dev/null -w '%{http_code}' "$base/v1/ping" | grep -qx 401 || fail "a call without a certificate is not 401"
echo "ok: a call without a certificate is 401"
echo "REST flow passed"
rm -f /tmp/exgw-rest-body.$$
