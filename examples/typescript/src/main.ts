// Apollo Client against a live cadre records API, with graphql-codegen's typed documents:
// a user pages through the roster forward and back; a partner token runs its registered
// operation through Apollo's persisted-queries link, by POST and by GET, configured once
// from Apollo's manifest and once from graphql-codegen's document hashes. Every answer is
// checked, and so is every request: a partner's never carries query text.
//
//   CADRE_URL=http://127.0.0.1:8000/graphql CADRE_USER_TOKEN=… CADRE_PARTNER_TOKEN=… \
//   CADRE_PARTNER_UNIT=C-K1 node dist/main.js
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

// Apollo Client 3 ships no "exports" map: ES modules name its entry files.
import { ApolloClient, HttpLink, InMemoryCache, type ApolloLink } from "@apollo/client/core/index.js";
import { createPersistedQueryLink } from "@apollo/client/link/persisted-queries/index.js";
import { generatePersistedQueryIdsFromManifest } from "@apollo/persisted-query-lists";
import type { DocumentNode } from "graphql";

import { PartnerGradesDocument, RosterDocument, type Grade } from "./gql/graphql.js";

const url = required("CADRE_URL");
const GRADES: readonly Grade[] = ["EXCELLENT", "GOOD", "FAIR", "POOR"];

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name}`);
  return value;
}

interface Sent {
  method: string;
  url: string;
  body: Record<string, unknown> | null;
}

/** A fetch that remembers what it sent, so the program can check the requests too. */
function recordingFetch(sent: Sent[]): typeof fetch {
  return async (input, init) => {
    const body = typeof init?.body === "string" ? JSON.parse(init.body) : null;
    sent.push({ method: init?.method ?? "GET", url: String(input), body });
    return fetch(input, init);
  };
}

function client(token: string, sent: Sent[], persisted?: ApolloLink): ApolloClient<unknown> {
  const http = new HttpLink({
    uri: url,
    headers: { Authorization: `Bearer ${token}` },
    fetch: recordingFetch(sent),
  });
  return new ApolloClient({
    link: persisted ? persisted.concat(http) : http,
    cache: new InMemoryCache(),
    defaultOptions: { query: { fetchPolicy: "network-only" } },
  });
}

async function userPagesForwardAndBack(): Promise<void> {
  const sent: Sent[] = [];
  const user = client(required("CADRE_USER_TOKEN"), sent);
  const first = (await user.query({ query: RosterDocument, variables: { first: 3 } })).data;
  const second = (await user.query({
    query: RosterDocument,
    variables: { first: 3, after: first.cadres.pageInfo.endCursor },
  })).data;
  const back = (await user.query({
    query: RosterDocument,
    variables: { last: 3, before: second.cadres.pageInfo.startCursor },
  })).data;

  const ids = (page: typeof first) => page.cadres.edges.map((edge) => Number(edge.node.id));
  assert.ok(first.cadres.totalCount > 6, "the roster holds more than two pages");
  assert.equal(ids(first).length, 3);
  assert.ok(ids(first).every((id, i, all) => i === 0 || all[i - 1] < id), "pages are in id order");
  assert.ok(Math.min(...ids(second)) > Math.max(...ids(first)), "the next page follows");
  assert.deepEqual(ids(back), ids(first), "paging back returns the first page");
  assert.equal(first.cadres.pageInfo.hasPreviousPage, false);
  assert.equal(second.cadres.pageInfo.hasPreviousPage, true);
  assert.ok(first.cadres.edges.every((edge) => edge.node.name && edge.node.unit?.name));
  assert.ok(sent.every((request) => request.method === "POST" && request.body?.query));
  console.log(`user: ${first.cadres.totalCount} cadres; pages ${ids(first)} | ${ids(second)}`);
}

/** The persisted-queries link as Apollo documents it for a manifest. */
function fromApolloManifest(useGETForHashedQueries: boolean): ApolloLink {
  const manifest = JSON.parse(readFileSync(required("CADRE_APOLLO_MANIFEST"), "utf8"));
  return createPersistedQueryLink({
    ...generatePersistedQueryIdsFromManifest({ loadManifest: () => manifest }),
    useGETForHashedQueries,
  });
}

/** The persisted-queries link on the hashes graphql-codegen put in its documents. */
function fromCodegenHashes(useGETForHashedQueries: boolean): ApolloLink {
  return createPersistedQueryLink({
    generateHash: (document: DocumentNode) =>
      (document as unknown as { __meta__: { hash: string } }).__meta__.hash,
    useGETForHashedQueries,
  });
}

async function partnerRuns(label: string, link: ApolloLink, method: string): Promise<void> {
  const sent: Sent[] = [];
  const partner = client(required("CADRE_PARTNER_TOKEN"), sent, link);
  const { data } = await partner.query({ query: PartnerGradesDocument, variables: { first: 20 } });

  const cadres = data.cadres.edges.map((edge) => edge.node);
  const unit = required("CADRE_PARTNER_UNIT");
  assert.ok(cadres.length > 0, "the partner sees cadres of its units");
  assert.ok(cadres.every((cadre) => cadre.name && cadre.position));
  assert.ok(cadres.every((cadre) => cadre.unit?.code.startsWith(unit)), `only units under ${unit}`);
  const grades = cadres.flatMap((cadre) => cadre.evaluations ?? []).map((e) => e.grade);
  assert.ok(grades.length > 0 && grades.every((grade) => grade && GRADES.includes(grade)));

  assert.equal(sent.length, 1, "one request: no retry with the query text");
  const [request] = sent;
  assert.equal(request.method, method);
  const params = new URL(request.url).searchParams;
  assert.ok(!request.body?.query && !params.has("query"), "no query text is sent");
  const extensions = request.body?.extensions ?? JSON.parse(params.get("extensions") ?? "{}");
  assert.match((extensions as any).persistedQuery.sha256Hash, /^[0-9a-f]{40,64}$/);
  console.log(`partner (${label}, ${method}): ${cadres.length} cadres, ${grades.length} grades`);
}

await userPagesForwardAndBack();
await partnerRuns("Apollo manifest", fromApolloManifest(false), "POST");
await partnerRuns("Apollo manifest", fromApolloManifest(true), "GET");
await partnerRuns("codegen hashes", fromCodegenHashes(false), "POST");
await partnerRuns("codegen hashes", fromCodegenHashes(true), "GET");
console.log("typescript example: all checks passed");
