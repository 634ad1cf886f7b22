// A client generated from the committed unified.json (openapi-typescript + openapi-fetch), used
// as any TypeScript program would: run by server/tests/generated_client.rs, which type-checks it
// with tsc first. It lists every provider's tickets page by page, creates a ticket with an
// Idempotency-Key (twice: the second is the replay) and reads a typed error; it prints what it
// saw as JSON for the Rust side to check.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/unified";

type Ticket = components["schemas"]["Ticket"];
type ApiError = components["schemas"]["Error"];

const url = process.env.SWITCHBOARD_URL!;
const key = process.env.SWITCHBOARD_KEY!;
const accounts: Record<string, string> = JSON.parse(process.env.SWITCHBOARD_ACCOUNTS!);

const client = createClient<paths>({ baseUrl: url, headers: { Authorization: `Bearer ${key}` } });

function fail(why: string): never {
  console.error(why);
  process.exit(1);
}

async function allTickets(account_id: string): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const { data, error } = await client.GET("/unified/ticketing/tickets", {
      params: { query: { account_id, limit: 7, cursor } },
    });
    if (error) fail(`listing tickets: ${error.error}: ${error.message}`);
    pages += 1;
    if (data.result_count !== data.result.length) fail("result_count is not the page's length");
    data.result.forEach((t: Ticket) => ids.push(t.id));
    cursor = data.next_cursor ?? undefined;
  } while (cursor && pages < 1000);
  return { ids, pages };
}

const listed: Record<string, { count: number; distinct: number; pages: number }> = {};
for (const [provider, account] of Object.entries(accounts)) {
  const { ids, pages } = await allTickets(account);
  listed[provider] = { count: ids.length, distinct: new Set(ids).size, pages };
}

// A ticket through Trengo, with an Idempotency-Key; sent twice.
const trengo = accounts["trengo"];
const contacts = await client.GET("/unified/ticketing/contacts", {
  params: { query: { account_id: trengo, limit: 1 } },
});
const collections = await client.GET("/unified/ticketing/collections", {
  params: { query: { account_id: trengo, limit: 1 } },
});
const contact = contacts.data?.result[0];
const collection = collections.data?.result[0];
if (!contact || !collection) fail("no contact or collection to create a ticket with");
const key_ = `generated-client-${Date.now()}`;
const create = () =>
  client.POST("/unified/ticketing/tickets", {
    params: {
      query: { account_id: trengo, collection_id: collection.id },
      header: { "Idempotency-Key": key_ },
    },
    body: { name: "Created by a generated client", contact: { id: contact.id } },
  });
const first = await create();
const second = await create();
if (first.error || second.error) fail(`creating: ${JSON.stringify(first.error ?? second.error)}`);

// A typed error: an account that does not exist.
const missing = await client.GET("/unified/ticketing/tickets/{id}", {
  params: { path: { id: "1" }, query: { account_id: "acc_does_not_exist" } },
});
const error: ApiError | undefined = missing.error;
if (!error) fail("an unknown account was answered without an error");

console.log(
  JSON.stringify({
    listed,
    created: {
      status: first.response.status,
      id: first.data.id,
      replay_id: second.data.id,
      replayed: second.response.headers.get("Idempotent-Replayed"),
    },
    error: { status: missing.response.status, code: error.error, remote: error.is_remote_error },
  }),
);
