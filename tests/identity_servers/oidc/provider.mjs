// A real OpenID Connect provider (npm oidc-provider) for the sign-in tests, on loopback.
// Usage: node provider.mjs PORT REDIRECT_URIS [POST_LOGOUT_URIS] (comma-separated lists)
// Its own development login page accepts any login name with any password; the claims come from
// ACCOUNTS below (or are made up from the login name), so tests can ask for awkward ones.
import Provider from 'oidc-provider';

const [port, redirectList, postLogoutList] = process.argv.slice(2);
const redirectUris = redirectList.split(',').filter(Boolean);
const postLogoutUris = (postLogoutList || '').split(',').filter(Boolean);
const issuer = `http://127.0.0.1:${port}`;

const ACCOUNTS = {
  alice: { email: 'alice@campus.edu', email_verified: true, name: 'Alice Li', student_number: 'S1001', college: '  School of  History ', groups: ['students'] },
  bob: { email: 'bob@campus.edu', email_verified: true, name: 'Bob Wang', student_number: 'T2002', college: 'Library', groups: ['staff', 'library-admins'] },
  noemail: { name: 'No Email' },
  bademail: { email: 'not-an-email', email_verified: true, name: 'Bad Email' },
  unverified: { email: 'taken@campus.edu', email_verified: false, name: 'Not Verified' },
  numbered: { email: 'someone.else@campus.edu', email_verified: true, name: 'Numbered', student_number: 'N3003' },
};

function claimsFor(id) {
  return ACCOUNTS[id] || { email: `${id}@campus.edu`, email_verified: true, name: id };
}

const configuration = {
  clients: [
    { client_id: 'engage', client_secret: 'engage-secret', redirect_uris: redirectUris,
      post_logout_redirect_uris: postLogoutUris,
      grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' },
    // Another application at the same provider: its tokens must not open a session at ours.
    { client_id: 'other-app', client_secret: 'other-secret', redirect_uris: redirectUris,
      grant_types: ['authorization_code'], response_types: ['code'] },
  ],
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], campus: ['student_number', 'college', 'groups'] },
  scopes: ['openid', 'email', 'profile', 'campus'],
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ['test-only-cookie-key'] },
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: id, ...claimsFor(id) }; } };
  },
  // First-party application: no consent screen after the login page.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile campus');
    await grant.save();
    return grant;
  },
};

const provider = new Provider(issuer, configuration);
provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
