// Independent check of Career Credit's credentials with Digital Bazaar's libraries
// (@digitalbazaar/vc, data-integrity, eddsa-rdfc-2022-cryptosuite, ed25519-multikey,
// vc-bitstring-status-list): the Python tests run it on what the tool signs, and have it sign
// with the tool's key so the tool's own verify() is checked against another implementation.
//
//   node tests/js/verify.mjs INPUT.json   (prints one JSON object on standard output)
//
// INPUT: {"action": "verify" | "sign",
//         "credential": {...},
//         "documents": {"<url or DID>": {...}, ...},   the only documents the loader serves:
//                                                      contexts, DID documents, status lists
//         "key": {"id", "controller", "publicKeyMultibase", "secretKeyMultibase"}  (sign)}
// verify -> {"verified": bool, "revoked": bool | null, "errors": [string]}
// sign   -> {"credential": {...signed...}}
// Nothing is fetched: a URL that is not in "documents" fails the load.
import {readFileSync} from 'node:fs';

import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const documents = input.documents || {};

async function documentLoader(url) {
  const [base, fragment] = url.split('#');
  if(Object.hasOwn(documents, url)) {
    return {contextUrl: null, documentUrl: url, document: documents[url]};
  }
  if(fragment !== undefined && Object.hasOwn(documents, base)) {
    // A verification method of a DID document: the method itself, in the Multikey context.
    const methods = documents[base].verificationMethod || [];
    const method = methods.find(m => m.id === url);
    if(method) {
      const document = {'@context': 'https://w3id.org/security/multikey/v1', ...method};
      return {contextUrl: null, documentUrl: url, document};
    }
  }
  throw new Error(`Document not available offline: ${url}`);
}

function messages(error) {
  if(!error) {
    return [];
  }
  const errors = Array.isArray(error) ? error : (error.errors || [error]);
  return errors.flatMap(e => [String(e.message || e), ...messages(e.cause)]);
}

async function verify() {
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  const result = await vc.verifyCredential({
    credential: input.credential, suite, documentLoader, checkStatus
  });
  const statuses = result.statusResult?.results || [];
  const revoked = statuses.length ?
    statuses.some(s => s.verified && s.status === true) : null;
  const errors = [
    ...messages(result.error),
    ...(result.results || []).flatMap(r => messages(r.error)),
    ...statuses.flatMap(s => messages(s.error)),
  ];
  return {verified: result.verified === true, revoked, errors};
}

async function sign() {
  const key = await Ed25519Multikey.from(input.key);
  const suite = new DataIntegrityProof({signer: key.signer(), cryptosuite: eddsaRdfc2022});
  const credential = await vc.issue({credential: input.credential, suite, documentLoader});
  return {credential};
}

const actions = {verify, sign};
try {
  const output = await actions[input.action]();
  process.stdout.write(JSON.stringify(output) + '\n');
} catch(error) {
  process.stdout.write(JSON.stringify({verified: false, errors: messages(error)}) + '\n');
  process.exitCode = 2;
}
