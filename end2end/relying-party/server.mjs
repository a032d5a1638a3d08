// A third-party web app that signs people in with WeChat through wxgate's OpenID Connect provider, using panva's
// openid-client (an OpenID Certified relying-party library), as a product would. It is wxgate's independent judge
// in the browser tests: discovery, the authorization code flow with PKCE S256, `state` and `nonce`, the ID token's
// signature checked against wxgate's JWKS (enableNonRepudiationChecks), a refresh, userinfo and RP-initiated logout.
//
// Usage: ACME_CLIENT_SECRET=… node server.mjs <port> <wxgate issuer URL>. Two clients are registered in wxgate's
// WXGATE_OIDC_CLIENTS (playwright.config.ts): `acme` (confidential, client_secret_basic, its secret in
// ACME_CLIENT_SECRET) and `acme-app` (public, PKCE only); `/login?client=acme-app` picks the second.
import * as http from 'node:http';
import { randomUUID } from 'node:crypto';
import * as client from 'openid-client';

const port = Number(process.argv[2]);
const issuer = new URL(process.argv[3]);
const base = `http://127.0.0.1:${port}`;
const redirectUri = `${base}/callback`;
const signedOutUri = `${base}/signed-out`;
const CLIENTS = {
  acme: { secret: process.env.ACME_CLIENT_SECRET },
  'acme-app': { secret: undefined },
};
if (!CLIENTS.acme.secret) throw new Error('ACME_CLIENT_SECRET is not set');

// One discovery per client, made on first use (wxgate may still be starting when this server does).
const configurations = new Map();
async function configuration(clientId) {
  if (!configurations.has(clientId)) {
    const { secret } = CLIENTS[clientId];
    const auth = secret ? client.ClientSecretBasic(secret) : client.None();
    const discovered = await client.discovery(issuer, clientId, undefined, auth, {
      execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
    });
    configurations.set(clientId, discovered);
  }
  return configurations.get(clientId);
}

// The app's own sessions, by cookie: what a login in flight must remember, then who signed in.
const sessions = new Map();
function sessionOf(request) {
  const cookie = (request.headers.cookie ?? '').split(/;\s*/).find((c) => c.startsWith('rp_session='));
  return cookie ? sessions.get(cookie.slice('rp_session='.length)) : undefined;
}

function escape(text) {
  return String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(response, status, body, headers = {}) {
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
  response.end(`<!doctype html><html><head><meta charset="utf-8"><title>Acme</title></head><body>${body}</body></html>`);
}

async function login(url, response) {
  const clientId = url.searchParams.get('client') ?? 'acme';
  if (!(clientId in CLIENTS)) return page(response, 400, '<p data-testid="error">unknown client</p>');
  const config = await configuration(clientId);
  const flight = {
    clientId,
    verifier: client.randomPKCECodeVerifier(),
    state: client.randomState(),
    nonce: client.randomNonce(),
  };
  const id = randomUUID();
  sessions.set(id, { flight });
  const to = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile wechat',
    code_challenge: await client.calculatePKCECodeChallenge(flight.verifier),
    code_challenge_method: 'S256',
    state: flight.state,
    nonce: flight.nonce,
  });
  response.writeHead(302, { location: to.href, 'set-cookie': `rp_session=${id}; Path=/; HttpOnly; SameSite=Lax` });
  response.end();
}

async function callback(url, request, response) {
  const session = sessionOf(request);
  if (!session?.flight) return page(response, 400, '<p data-testid="error">no login in flight</p>');
  const { clientId, verifier, state, nonce } = session.flight;
  const config = await configuration(clientId);
  const tokens = await client.authorizationCodeGrant(config, url, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  if (refreshed.claims().sub !== claims.sub) throw new Error('the refreshed ID token names someone else');
  if (refreshed.refresh_token === tokens.refresh_token) throw new Error('the refresh token did not rotate');
  const info = await client.fetchUserInfo(config, refreshed.access_token, claims.sub);
  session.flight = undefined;
  session.person = { clientId, claims, info, idToken: refreshed.id_token };
  response.writeHead(302, { location: '/' });
  response.end();
}

async function home(response, session) {
  const person = session?.person;
  if (!person) {
    return page(response, 200, '<h1>Acme</h1><a data-testid="sign-in" href="/login">Sign in with WeChat</a>');
  }
  const config = await configuration(person.clientId);
  const logout = client.buildEndSessionUrl(config, {
    id_token_hint: person.idToken,
    post_logout_redirect_uri: signedOutUri,
  });
  const openids = (person.claims.openids ?? []).map((o) => `<li data-provider="${escape(o.provider)}">${escape(o.openid)}</li>`);
  return page(
    response,
    200,
    `<h1>Acme</h1><p>Hello, <span data-testid="name">${escape(person.claims.name)}</span></p>
<dl><dt>sub</dt><dd data-testid="sub">${escape(person.claims.sub)}</dd>
<dt>userinfo nickname</dt><dd data-testid="userinfo-nickname">${escape(person.info.nickname)}</dd>
<dt>unionid</dt><dd data-testid="unionid">${escape(person.claims.unionid)}</dd></dl>
<ul data-testid="openids">${openids.join('')}</ul>
<a data-testid="sign-out" href="${escape(logout.href)}">Sign out</a>`,
  );
}

http
  .createServer(async (request, response) => {
    const url = new URL(request.url, base);
    try {
      if (url.pathname === '/login') return await login(url, response);
      if (url.pathname === '/callback') return await callback(url, request, response);
      if (url.pathname === '/healthz') return page(response, 200, 'ok');
      if (url.pathname === '/') return await home(response, sessionOf(request));
      if (url.pathname === '/signed-out') {
        // Coming back from wxgate's logout ends this app's session too.
        const session = sessionOf(request);
        if (session) session.person = undefined;
        return page(response, 200, '<p data-testid="signed-out">Signed out</p><a href="/">Acme</a>');
      }
      return page(response, 404, 'not found');
    } catch (error) {
      return page(response, 500, `<p data-testid="error">${escape(error?.message)} ${escape(error?.code)}</p>`);
    }
  })
  .listen(port, '127.0.0.1');
