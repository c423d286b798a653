// The official Pipedrive Node SDK's OAuth 2 client, unchanged, against the server at $BASE:
// exchange $CODE for tokens (HTTP Basic with $CLIENT_ID:$CLIENT_SECRET), call v1 and v2 with
// the bearer token as the SDK sends it, refresh, revoke; prints one JSON report.
import { v1, v2 } from "pipedrive";

import { failure } from "./failure.mjs";

const oauth2 = new v1.OAuth2Configuration({
  clientId: process.env.CLIENT_ID, clientSecret: process.env.CLIENT_SECRET,
  redirectUri: process.env.REDIRECT_URI, host: process.env.BASE });
const report = {};


const token = await oauth2.authorize(process.env.CODE);
report.token = { token_type: token.token_type, scope: token.scope, expires_in: token.expires_in };
report.base_path = oauth2.basePath; // api_domain + /api/v1
const c1 = new v1.Configuration({ accessToken: oauth2.getAccessToken, basePath: oauth2.basePath });
const c2 = new v2.Configuration({ accessToken: oauth2.getAccessToken,
  basePath: oauth2.basePath.replace(/\/api\/v1$/, "/api/v2") });
report.me = (await new v1.UsersApi(c1).getCurrentUser()).data.id;
const deal = (await new v2.DealsApi(c2).addDeal({ AddDealRequest: { title: "Via OAuth" } })).data;
report.deal = { id: deal.id, title: deal.title };
report.person_write = await failure(new v2.PersonsApi(c2).addPerson({ AddPersonRequest: { name: "No" } }));
const before = oauth2.accessToken;
await oauth2.tokenRefresh();
report.refreshed = oauth2.accessToken !== before;
report.deal_after_refresh = (await new v2.DealsApi(c2).getDeal({ id: deal.id })).data.title;
await oauth2.revokeToken("access_token");
report.after_revoke = await failure(new v2.DealsApi(c2).getDeal({ id: deal.id }));
console.log(JSON.stringify(report));
