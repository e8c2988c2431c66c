// Runs the citizen and officer apps' operations against a live Markaz with Apollo Client and its
// persisted-queries link, hash first, as the apps do. Usage:
//   node run.mjs <graphql url> <officer badge> <password> <operations dir>
// Prints one JSON report on standard output: each operation's outcome and every HTTP request made.
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

import { ApolloClient, HttpLink, InMemoryCache } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { parse } from "graphql";

const [url, badge, password, operationsDir] = process.argv.slice(2);
const requests = [];

// Every request the client sends, as the server sees it: was there a hash, was there a document?
async function loggedFetch(input, init = {}) {
  const target = new URL(typeof input === "string" ? input : input.url);
  let sent = {};
  if (init.method === "GET") {
    sent = Object.fromEntries(target.searchParams);
    if (sent.extensions) sent.extensions = JSON.parse(sent.extensions);
  } else if (init.body) {
    sent = JSON.parse(init.body);
  }
  const response = await fetch(input, init);
  requests.push({
    method: init.method ?? "GET",
    operationName: sent.operationName ?? null,
    hash: sent.extensions?.persistedQuery?.sha256Hash ?? null,
    withDocument: typeof sent.query === "string",
    status: response.status,
    cacheControl: response.headers.get("cache-control"),
    contentEncoding: response.headers.get("content-encoding"),
  });
  return response;
}

const link = new PersistedQueryLink({
  sha256: (text) => createHash("sha256").update(text).digest("hex"),
  useGETForHashedQueries: true,  // queries as GET with the hash: cacheable by the phone and proxies
}).concat(new HttpLink({ uri: url, fetch: loggedFetch,
                         headers: { "accept-language": "en", "accept-encoding": "br, gzip" } }));
const client = new ApolloClient({ link, cache: new InMemoryCache(), defaultOptions: {
  query: { fetchPolicy: "network-only" }, watchQuery: { fetchPolicy: "network-only" } } });

const documents = {};
for (const app of ["citizen", "officer"]) {
  for (const file of fs.readdirSync(path.join(operationsDir, app)).sort()) {
    documents[path.basename(file, ".graphql")] = parse(fs.readFileSync(path.join(operationsDir, app, file), "utf8"));
  }
}

const results = [];
let token = null;
const auth = () => ({ headers: token ? { authorization: `Bearer ${token}` } : {} });

async function run(app, name, variables = {}) {
  const query = documents[name];
  const isMutation = query.definitions[0].operation === "mutation";
  try {
    const { data } = isMutation
      ? await client.mutate({ mutation: query, variables, context: auth() })
      : await client.query({ query, variables, context: auth() });
    const root = Object.values(data)[0];
    const userErrors = root && Array.isArray(root.errors) ? root.errors : [];
    results.push({ app, name, ok: userErrors.length === 0, userErrors });
    return data;
  } catch (error) {
    results.push({ app, name, ok: false, error: String(error.message ?? error) });
    return null;
  }
}

const now = Date.now();
const iso = (minutesAgo) => new Date(now - minutesAgo * 60_000).toISOString();
const here = { latitude: 36.3795, longitude: 43.148, accuracyMeters: 8 };

// The citizen app.
await run("citizen", "Governorates");
const nearest = await run("citizen", "NearestStations", { near: here, first: 3, openNow: false });
const stationId = nearest?.nearestStations?.[0]?.station?.id;
await run("citizen", "NearestStations", { near: here, first: 3, openNow: false });  // the same again: GET, cacheable
await run("citizen", "SearchStations", { search: "Apollo", first: 5 });
await run("citizen", "Station", { id: stationId });
// The public map of the last three whole months around here.
const monthStart = (back) => {
  const today = new Date(now);
  return new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - back, 1)).toISOString();
};
await run("citizen", "PublicSafetyMap", { area: { bbox: { south: 36.3, west: 43.0, north: 36.5, east: 43.3 } },
                                          from: monthStart(3), to: monthStart(0) });

await run("citizen", "LocateStation", { near: here });
await run("citizen", "StationCommunity", { id: stationId });
await run("citizen", "SubmitFeedback", { input: { clientId: randomUUID(), stationId, service: "COMMUNITY_POLICING",
  rating: 4, treatedWithRespect: true, wouldComeBack: true, feltSafeReporting: true, gender: "FEMALE" } });
// A citizen's non-emergency report over Open311, for the station's triage below.
const base = url.replace(/\/graphql$/, "");
const open311 = await (await fetch(`${base}/open311/v2/requests.json`, { method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams({ service_code: "street_lighting", lat: String(here.latitude), long: String(here.longitude),
                              description: "The lamp at the market corner is out" }) })).json();

// The officer app: sign in, a patrol with a track, an engagement, an incident, a sync batch, sign out.
const login = await run("officer", "Login", { badgeNumber: badge, password });
token = login?.login?.accessToken;
const me = await run("officer", "Me");
const patrolClientId = randomUUID();
const started = await run("officer", "StartPatrol", { input: { clientId: patrolClientId, startedAt: iso(60) } });
const patrolId = started?.startPatrol?.patrol?.id;
await run("officer", "AppendPatrolTrack", { input: { clientId: randomUUID(), patrolId, fixes: [
  { latitude: 36.3800, longitude: 43.1480, accuracyMeters: 8, recordedAt: iso(50) },
  { latitude: 36.3830, longitude: 43.1520, accuracyMeters: 9, recordedAt: iso(40) }] } });
const logged = await run("officer", "LogEngagement", { input: { clientId: randomUUID(), kind: "COMMUNITY_MEETING", patrolId,
  location: here, occurredAt: iso(35), durationMinutes: 30, attendees: { total: 12, women: 5, youth: 3 },
  followUps: [{ description: "Ask the municipality to mend the street lights" }] } });
const reported = await run("officer", "ReportIncident", { input: { clientId: randomUUID(), category: "THEFT",
  location: here, occurredAt: iso(30), description: "A bicycle taken from the market" } });
const incident = reported?.reportIncident?.incident;
await run("officer", "UpdateIncidentStatus", { input: { incidentId: incident?.id, status: "IN_PROGRESS",
  expectedVersion: incident?.version ?? 1 } });
await run("officer", "MyIncidents", { first: 5 });
// The action promised at the meeting: listed as the officer's own, then started.
const actions = await run("officer", "FollowUpActions", { filter: { ownerId: me?.me?.id }, first: 10 });
await run("officer", "UpdateFollowUpAction", { input: { clientId: randomUUID(), status: "IN_PROGRESS",
  followUpActionId: actions?.followUpActions?.edges?.[0]?.node?.id, note: "Letter sent to the municipality" } });
// Corrections, follow-up actions and the history of each record (issue 14).
const engagement = logged?.logEngagement?.engagement;
await run("officer", "CorrectIncident", { input: { clientId: randomUUID(), incidentId: incident?.id,
  expectedVersion: 2, reason: "It was a motorbike", description: "A motorbike taken from the market" } });
await run("officer", "CorrectEngagement", { input: { clientId: randomUUID(), engagementId: engagement?.id,
  expectedVersion: 1, reason: "Two more came late", attendees: { total: 14, women: 6, youth: 3 } } });
const added = await run("officer", "AddFollowUpAction", { input: { clientId: randomUUID(),
  incidentId: incident?.id, description: "Ask the shops for camera footage" } });
await run("officer", "MyFollowUpActions", { filter: { ownerId: me?.me?.id, subjects: ["ENGAGEMENT", "INCIDENT"] },
                                            first: 10 });
await run("officer", "IncidentHistory", { id: incident?.id });
await run("officer", "EngagementHistory", { id: engagement?.id });
await run("officer", "SyncFieldLog", { input: { entries: [
  { updateFollowUpAction: { clientId: randomUUID(), status: "DONE",
                            followUpActionClientId: added?.addFollowUpAction?.followUpAction?.clientId } }] } });
// The working set offline, a photo (tus, then attachMedia), problem-solving and publishing, the triage
// of a citizen's report (issues 14 to 16). The officer signed in here is the station's commander.
const changes = await run("officer", "DeviceChanges", { first: 200 });
await run("officer", "DeviceChanges", { after: changes?.deviceChanges?.cursor });
const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
const b64 = (text) => Buffer.from(text).toString("base64");
const created = await fetch(`${base}/uploads/`, { method: "POST", headers: { "tus-resumable": "1.0.0",
  "upload-length": String(png.length), "upload-metadata": `filename ${b64("market.png")},contentType ${b64("image/png")}`,
  authorization: `Bearer ${token}` } });
const uploadId = (created.headers.get("location") ?? "").split("/").pop();
await fetch(`${base}/uploads/${uploadId}`, { method: "PATCH", body: png, headers: { "tus-resumable": "1.0.0",
  "upload-offset": "0", "content-type": "application/offset+octet-stream", authorization: `Bearer ${token}` } });
await run("officer", "AttachMedia", { input: { clientId: randomUUID(), uploadId, incidentId: incident?.id,
  caption: "The market stall", expectedAttachments: 1 } });
await run("officer", "Attachments", { id: incident?.id });
const opened = await run("officer", "OpenProblem", { input: { clientId: randomUUID(), title: "Thefts at the market",
  description: "Raised at the community meeting", categories: ["THEFT"],
  links: [{ kind: "INCIDENT", id: incident?.id }, { kind: "ENGAGEMENT", id: engagement?.id }] } });
const problem = opened?.openProblem?.problem;
await run("officer", "UpdateProblem", { input: { clientId: randomUUID(), problemId: problem?.id,
  expectedVersion: problem?.version ?? 1, stage: "ANALYSIS" } });
await run("officer", "Problems", { first: 10 });
const words = (ar, ku, en) => ({ ar, ku, en });
await run("officer", "PublishPriority", { input: { problemId: problem?.id,
  title: words("السرقات في السوق", "دزی لە بازاڕ", "Thefts at the market"),
  action: words("دوريات مسائية", "پاسەوانی ئێواران", "Evening patrols") } });
await run("officer", "UnpublishPriority", { input: { problemId: problem?.id } });
const meeting = await run("officer", "PublishMeeting", { input: { clientId: randomUUID(),
  startsAt: new Date(now + 3 * 86_400_000).toISOString(), place: words("قاعة المركز", "هۆڵی بنکە", "The station's hall"),
  location: { latitude: here.latitude, longitude: here.longitude },
  topic: words("أمن السوق", "ئاسایشی بازاڕ", "Safety at the market") } });
await run("officer", "UnpublishMeeting", { input: { meetingId: meeting?.publishMeeting?.meeting?.id } });
const triage = await run("officer", "ServiceRequests", { first: 10 });
const request = triage?.serviceRequests?.edges?.[0]?.node;
await run("officer", "UpdateServiceRequest", { input: { clientId: randomUUID(), serviceRequestId: request?.id,
  expectedVersion: request?.version ?? 1, triage: "ACCEPTED", statusNotes: "A patrol will look tonight" } });
if (!open311?.[0]?.service_request_id) results.push({ app: "citizen", name: "Open311", ok: false, error: JSON.stringify(open311) });

// A second sign-in (a lost phone), listed and ended; then a new password, which would end any other.
await run("officer", "Login", { badgeNumber: badge, password });
const sessions = await run("officer", "MySessions");
const lost = sessions?.mySessions?.find((s) => !s.current);
await run("officer", "EndSession", { sessionId: lost?.id });
await run("officer", "ChangePassword", { currentPassword: password, newPassword: "a quiet river under the old bridge" });
await run("officer", "SyncFieldLog", { input: { entries: [
  { reportIncident: { clientId: randomUUID(), category: "DISPUTE", location: here, occurredAt: iso(20),
                      description: "Neighbours argue over a wall" } },
  { endPatrol: { clientId: randomUUID(), patrolClientId, endedAt: iso(10) } }] } });
await run("officer", "EndPatrol", { input: { patrolId, endedAt: iso(10) } });  // already ended by the sync: same answer
const refreshed = await run("officer", "RefreshSession", { refreshToken: login?.login?.refreshToken });
token = refreshed?.refreshSession?.accessToken ?? token;
await run("officer", "Logout");

// A document no release ships: the server has never seen its hash, the link resends it in full, and in
// production the safelist refuses it.
token = null;
let refused = null;
try {
  await client.query({ query: parse("query Sneaky { governorates { code name } }") });
} catch (error) {
  refused = { message: String(error.message ?? error), codes: (error.errors ?? []).map((e) => e.extensions?.code) };
}

console.log(JSON.stringify({ results, requests, refused }));
