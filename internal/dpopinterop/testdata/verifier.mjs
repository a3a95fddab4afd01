// Checks DPoP proofs with panva's jose, independently of Gatehouse: each
// line on stdin is {proof, htm, htu, accessToken?, now}; each answer is
// {ok: true, jkt, header, payload} or {ok: false, error}. It checks what
// RFC 9449 §4.3 asks a server to check of one proof: the JWS signature by
// the embedded public jwk, typ dpop+jwt, an asymmetric alg, no private key
// members, jti, htm, htu, iat within 60 s of now, and ath.
import { createInterface } from 'node:readline';
import { createHash } from 'node:crypto';
import { jwtVerify, EmbeddedJWK, calculateJwkThumbprint, decodeProtectedHeader } from 'jose';

const b64u = (buf) => Buffer.from(buf).toString('base64url');

async function check(r) {
  const { payload, protectedHeader } = await jwtVerify(r.proof, EmbeddedJWK, {
    typ: 'dpop+jwt',
    algorithms: ['ES256', 'EdDSA', 'Ed25519'],
    currentDate: new Date(r.now * 1000),
  });
  const jwk = protectedHeader.jwk;
  for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
    if (m in jwk) throw new Error(`jwk has private member ${m}`);
  }
  if (typeof payload.jti !== 'string' || payload.jti.length < 16) throw new Error('jti missing or short');
  if (payload.htm !== r.htm) throw new Error(`htm ${payload.htm} != ${r.htm}`);
  if (payload.htu !== r.htu) throw new Error(`htu ${payload.htu} != ${r.htu}`);
  if (typeof payload.iat !== 'number' || Math.abs(payload.iat - r.now) > 60) throw new Error('iat not within 60 s');
  if (r.accessToken) {
    const ath = b64u(createHash('sha256').update(r.accessToken, 'ascii').digest());
    if (payload.ath !== ath) throw new Error('ath does not match the access token');
  } else if ('ath' in payload) {
    throw new Error('ath without an access token');
  }
  return { ok: true, jkt: await calculateJwkThumbprint(jwk, 'sha256'), header: decodeProtectedHeader(r.proof), payload };
}

for await (const line of createInterface({ input: process.stdin })) {
  let out;
  try {
    out = await check(JSON.parse(line));
  } catch (e) {
    out = { ok: false, error: String(e && e.message || e) };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}
