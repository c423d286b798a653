// Ordinary client work with the official Pipedrive Node SDK, unchanged, against the server
// at $BASE with $TOKEN; prints one JSON report for the test that runs it to check.
import { v1, v2 } from "pipedrive";

import { failure } from "./failure.mjs";

const base = process.env.BASE;
const apiKey = process.env.TOKEN;
const c1 = new v1.Configuration({ apiKey, basePath: `${base}/v1` });
const c2 = new v2.Configuration({ apiKey, basePath: `${base}/api/v2` });
const report = {};


const orgs = new v2.OrganizationsApi(c2);
const persons = new v2.PersonsApi(c2);
const deals = new v2.DealsApi(c2);
const activities = new v2.ActivitiesApi(c2);
const products = new v2.ProductsApi(c2);
const notes = new v1.NotesApi(c1);
const leads = new v1.LeadsApi(c1);
const currencies = new v1.CurrenciesApi(c1);

const org = (await orgs.addOrganization({ AddOrganizationRequest: { name: "Initech" } })).data;
const person = (await persons.addPerson({ AddPersonRequest: {
  name: "Peter Gibbons", org_id: org.id,
  emails: [{ value: "peter@initech.example", primary: true, label: "work" }] } })).data;
const made = [];
for (let n = 0; n < 5; n++) {
  made.push((await deals.addDeal({ AddDealRequest: {
    title: `Deal ${n}`, person_id: person.id, org_id: org.id, value: 100 + n, currency: "EUR" } })).data);
}
report.deals_made = made.map((d) => ({ id: d.id, title: d.title, value: d.value, person_id: d.person_id }));
report.deal_got = (await deals.getDeal({ id: made[0].id, include_fields: "activities_count" })).data;
report.deal_patched = (await deals.updateDeal({ id: made[0].id,
  UpdateDealRequest: { title: "Deal 0 (renamed)", value: 999 } })).data;

// v2 paging: limit 2, following next_cursor
const paged = [];
let cursor;
do {
  const page = await deals.getDeals({ person_id: person.id, limit: 2, cursor });
  paged.push(...page.data.map((d) => d.id));
  cursor = page.additional_data?.next_cursor;
} while (cursor);
report.deals_paged = paged;

const activity = (await activities.addActivity({ AddActivityRequest: {
  subject: "Call Peter", type: "call", deal_id: made[0].id, due_date: "2030-05-04",
  due_time: "09:30", duration: "00:30" } })).data;
report.activity = activity;
report.activities_of_deal = (await activities.getActivities({ deal_id: made[0].id })).data.map((a) => a.id);
report.activity_done = (await activities.updateActivity({ id: activity.id,
  AddActivityRequest: { done: true } })).data.done;

const product = (await products.addProduct({ AddProductRequest: {
  name: "Stapler", code: "ST-1", prices: [{ currency: "EUR", price: 12.5 }] } })).data;
report.product = product;
report.product_got = (await products.getProduct({ id: product.id })).data;

const note = (await notes.addNote({ AddNoteRequest: { content: "Likes staplers", deal_id: made[0].id } })).data;
report.note = note;
report.note_updated = (await notes.updateNote({ id: note.id, NoteRequest: { content: "Loves staplers" } })).data.content;
// v1 paging: start/limit, following next_start
for (let n = 0; n < 3; n++) {
  await notes.addNote({ AddNoteRequest: { content: `More ${n}`, deal_id: made[1].id } });
}
const notePages = [];
let start = 0;
for (;;) {
  const page = await notes.getNotes({ deal_id: made[1].id, start, limit: 2 });
  notePages.push(page.data.map((x) => x.id));
  const pagination = page.additional_data?.pagination;
  if (!pagination?.more_items_in_collection) break;
  start = pagination.next_start;
}
report.note_pages = notePages;

const lead = (await leads.addLead({ AddLeadRequest: { title: "Printer", person_id: person.id,
  value: { amount: 50, currency: "USD" } } })).data;
report.lead = lead;
report.lead_search = (await leads.searchLeads({ term: "printer", person_id: person.id })).data.items
  .map((i) => i.item.id);
report.lead_updated = (await leads.updateLead({ id: lead.id, UpdateLeadRequest: { title: "Printers" } })).data.title;
report.leads_listed = (await leads.getLeads({ limit: 10 })).data.map((x) => x.id);
report.currencies = (await currencies.getCurrencies({ term: "euro" })).data.map((x) => x.code);

// search, as the SDK sends it: v2 persons by name and e-mail, itemSearch over types, v1 too
report.person_search = (await persons.searchPersons({ term: "gibbons", fields: "name" })).data.items
  .map((i) => ({ id: i.item.id, type: i.item.type, score: i.result_score, emails: i.item.emails }));
report.email_search = (await persons.searchPersons({ term: "peter@initech", fields: "email" }))
  .data.items.map((i) => i.item.id);
report.item_search = (await new v2.ItemSearchApi(c2).searchItem({ term: "initech",
  item_types: "organization,person", search_for_related_items: true })).data;
report.deal_search = (await deals.searchDeals({ term: "deal 3", exact_match: true })).data.items
  .map((i) => i.item.id);
report.deleted = {
  activity: (await activities.deleteActivity({ id: activity.id })).data,
  note: (await notes.deleteNote({ id: note.id })).data,
  lead: (await leads.deleteLead({ id: lead.id })).data,
  product: (await products.deleteProduct({ id: product.id })).data,
  deal: (await deals.deleteDeal({ id: made[4].id })).data,
};
report.missing_deal = await failure(deals.getDeal({ id: 999999999 }));
const stranger = new v2.DealsApi(new v2.Configuration({ apiKey: "not-a-token", basePath: `${base}/api/v2` }));
report.bad_token = await failure(stranger.getDeals({}));
report.deleted_person = (await persons.deletePerson({ id: person.id })).data;
report.deleted_org = (await orgs.deleteOrganization({ id: org.id })).data;
process.stdout.write(JSON.stringify(report));
