// Dynatrace's own TypeScript SDK drives the dynatrace-agent simulator.
// Usage: SIM_URL=http://127.0.0.1:PORT node conformance.mjs
// The simulator must run with query_running_ms=300 and result_ttl_s=1 (the pytest wrapper does).
// Prints one JSON line per check: {"check": name, "ok": bool, "detail": ...}; exit status 1 if any failed.
// The packages are CommonJS: import the module objects, then take the named classes.
import queryPkg from "@dynatrace-sdk/client-query";
import classicPkg from "@dynatrace-sdk/client-classic-environment-v2";
import httpPkg from "@dynatrace-sdk/http-client";

const { QueryExecutionClient, ErrorEnvelopeError, InsufficientPermission } = queryPkg;
const { ProblemsClient } = classicPkg;
const { PlatformHttpClient, _OAuthHttpClient } = httpPkg;

const base = process.env.SIM_URL;
const clientId = process.env.SIM_CLIENT_ID ?? "dt0s02.SIMULATOR";
const secret = process.env.SIM_CLIENT_SECRET ?? "dt0s02.SIMULATOR.SECRET";
const authUrl = `${base}/sso/oauth2/token`;
let failures = 0;

function report(check, ok, detail) {
  if (!ok) failures += 1;
  console.log(JSON.stringify({ check, ok, detail }));
}

async function check(name, fn) {
  try {
    const detail = await fn();
    report(name, true, detail ?? null);
  } catch (err) {
    report(name, false, `${err?.name ?? "Error"}: ${err?.message ?? String(err)}`);
  }
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

async function bearer(scopes) {
  const form = new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: secret, scope: scopes });
  const response = await fetch(authUrl, { method: "POST", body: form, headers: { "content-type": "application/x-www-form-urlencoded" } });
  const body = await response.json();
  expect(response.ok, `token request failed: ${JSON.stringify(body)}`);
  return `Bearer ${body.access_token}`;
}

const oauth = new _OAuthHttpClient({
  environmentUrl: base,
  authUrl,
  clientId,
  secret,
  scopes: ["storage:logs:read", "storage:buckets:read", "storage:events:read"],
});
const queries = new QueryExecutionClient(oauth);
const ERRORS = 'fetch logs | filter loglevel == "ERROR" | summarize errors = count(), by:{service.name}';

await check("execute 200 SUCCEEDED (OAuth client)", async () => {
  const res = await queries.queryExecute({ body: { query: ERRORS, requestTimeoutMilliseconds: 5000 } });
  expect(res.state === "SUCCEEDED", `state ${res.state}`);
  expect(res.result.records[0].errors === "15", JSON.stringify(res.result.records));
  const grail = res.result.metadata.grail;
  expect(grail.analysisTimeframe.start instanceof Date, "analysisTimeframe.start not converted to a Date");
  expect(typeof grail.scannedRecords === "number" && grail.scannedRecords > 0, "scannedRecords");
  expect(res.result.types[0].mappings.errors.type === "long", "types");
  return { records: res.result.records, scannedRecords: grail.scannedRecords };
});

await check("execute 202 -> poll RUNNING -> cancel", async () => {
  const started = await queries.queryExecute({ body: { query: ERRORS } });
  expect(started.state === "RUNNING" && started.requestToken, `state ${started.state}`);
  const polled = await queries.queryPoll({ requestToken: started.requestToken, requestTimeoutMilliseconds: 10 });
  expect(polled.state === "RUNNING", `poll state ${polled.state}`);
  const cancelled = await queries.queryCancel({ requestToken: started.requestToken });
  return { pollState: polled.state, cancelResult: cancelled ?? null };
});

await check("execute 202 -> poll waits -> SUCCEEDED", async () => {
  const started = await queries.queryExecute({ body: { query: ERRORS } });
  expect(started.state === "RUNNING", `state ${started.state}`);
  const done = await queries.queryPoll({ requestToken: started.requestToken, requestTimeoutMilliseconds: 3000 });
  expect(done.state === "SUCCEEDED", `poll state ${done.state}`);
  expect(done.result.records.length === 1, "records");
  return { state: done.state };
});

await check("400 DQL syntax error -> ErrorEnvelopeError", async () => {
  try {
    await queries.queryExecute({ body: { query: "fetch logs | filter loglevel ==", requestTimeoutMilliseconds: 5000 } });
  } catch (err) {
    expect(err instanceof ErrorEnvelopeError, `got ${err?.name}`);
    const details = err.body?.error?.details ?? {};
    expect(err.response?.status === 400 || err.body?.error?.code === 400, "status");
    expect(details.exceptionType === "DQL-SYNTAX-ERROR" && details.syntaxErrorPosition, JSON.stringify(details));
    return { name: err.name, errorType: details.errorType, message: err.message };
  }
  throw new Error("no error raised");
});

await check("403 missing table scope -> InsufficientPermission", async () => {
  try {
    await queries.queryExecute({ body: { query: "fetch spans", requestTimeoutMilliseconds: 5000 } });
  } catch (err) {
    expect(err instanceof InsufficientPermission, `got ${err?.name}: ${err?.message}`);
    const details = err.body?.error?.details ?? {};
    expect(details.errorType === "NOT_AUTHORIZED_FOR_TABLE", JSON.stringify(details));
    expect(JSON.stringify(details.missingScopes) === JSON.stringify(["storage:spans:read"]), "missingScopes");
    return { name: err.name, message: err.message };
  }
  throw new Error("no error raised");
});

await check("410 on an expired request token", async () => {
  const started = await queries.queryExecute({ body: { query: ERRORS } });
  expect(started.state === "RUNNING", `state ${started.state}`);
  await new Promise((resolve) => setTimeout(resolve, 1600));
  try {
    await queries.queryPoll({ requestToken: started.requestToken });
  } catch (err) {
    const status = err.response?.status ?? err.body?.error?.code;
    expect(status === 410, `status ${status} (${err?.name}: ${err?.message})`);
    return { name: err.name, status };
  }
  throw new Error("no error raised");
});

await check("ProblemsClient.getProblems (PlatformHttpClient + Bearer)", async () => {
  const http = new PlatformHttpClient({ baseUrl: base, defaultHeaders: { Authorization: await bearer("environment-api:problems:read") } });
  const problems = new ProblemsClient(http);
  const page = await problems.getProblems({ from: "now-7d", pageSize: 2, fields: "evidenceDetails" });
  expect(page.totalCount === 3 && page.problems.length === 2 && page.nextPageKey, JSON.stringify(page).slice(0, 200));
  const next = await problems.getProblems({ nextPageKey: page.nextPageKey });
  expect(next.problems.length === 1, "second page");
  const selected = await problems.getProblems({ problemSelector: 'status("open")' });
  expect(selected.problems[0].displayId === "P-250304", "problemSelector");
  return { totalCount: page.totalCount, first: page.problems[0].displayId };
});

await check("ProblemsClient 400 bad selector -> ErrorEnvelopeError", async () => {
  const http = new PlatformHttpClient({ baseUrl: base, defaultHeaders: { Authorization: await bearer("environment-api:problems:read") } });
  try {
    await new ProblemsClient(http).getProblems({ problemSelector: "status(open" });
  } catch (err) {
    expect(err?.name === "ErrorEnvelopeError" || err?.isErrorEnvelopeError, `got ${err?.name}`);
    return { name: err.name, message: err.message };
  }
  throw new Error("no error raised");
});

process.exit(failures ? 1 : 0);
