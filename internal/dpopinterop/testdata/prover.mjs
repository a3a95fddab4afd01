// DPoP clients independent of Gatehouse, for the Go interop test. Each
// line on stdin is a JSON request {alg, htm, htu, nonce?, accessToken?};
// each answer on stdout is {proof, jkt} or {error}. alg "ES256" and
// "Ed25519" use panva's dpop package as it is (dpop 2.x writes alg
// "Ed25519", RFC 9864's fully-specified name, for Ed25519 keys); alg
// "EdDSA" builds the proof with panva's jose (SignJWT, the jwk exported by
// exportJWK), the spelling RFC 9449's examples and Gatehouse use. One key
// per alg is kept for the life of the process, so a login and the
// requests after it are proved with the same key, as a real client's
// would be.
import { createInterface } from 'node:readline';
import { createHash, randomUUID } from 'node:crypto';
import { generateKeyPair, generateProof, calculateThumbprint } from 'dpop';
import * as jose from 'jose';

const keys = new Map();

async function keyFor(alg) {
  if (!keys.has(alg)) {
    keys.set(alg, alg === 'EdDSA' ? await jose.generateKeyPair('EdDSA', { crv: 'Ed25519' }) : await generateKeyPair(alg));
  }
  return keys.get(alg);
}

async function joseProof(kp, r) {
  const jwk = await jose.exportJWK(kp.publicKey);
  const claims = { jti: randomUUID(), htm: r.htm, htu: r.htu, iat: Math.floor(Date.now() / 1000) };
  if (r.nonce) claims.nonce = r.nonce;
  if (r.accessToken) claims.ath = createHash('sha256').update(r.accessToken, 'ascii').digest('base64url');
  const proof = await new jose.SignJWT(claims).setProtectedHeader({ typ: 'dpop+jwt', alg: 'EdDSA', jwk }).sign(kp.privateKey);
  return { proof, jkt: await jose.calculateJwkThumbprint(jwk, 'sha256') };
}

for await (const line of createInterface({ input: process.stdin })) {
  let out;
  try {
    const r = JSON.parse(line);
    const kp = await keyFor(r.alg);
    if (r.alg === 'EdDSA') {
      out = await joseProof(kp, r);
    } else {
      const proof = await generateProof(kp, r.htu, r.htm, r.nonce || undefined, r.accessToken || undefined);
      out = { proof, jkt: await calculateThumbprint(kp.publicKey) };
    }
  } catch (e) {
    out = { error: String(e && e.stack || e) };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}
