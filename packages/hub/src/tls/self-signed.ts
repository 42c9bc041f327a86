import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
import { bits, boolean, explicit, implicit, integer, octets, oid, sequence, set, time, utf8 } from "./der.js";

/** ecdsa-with-SHA256. */
const ECDSA_SHA256 = sequence(oid("1.2.840.10045.4.3.2"));
/** Days a CA stays valid. */
const CA_DAYS = 3650;
/** Days a server certificate stays valid (it is renewed at every start). */
const SERVER_DAYS = 397;

function pem(label: string, der: Buffer): string {
  return `-----BEGIN ${label}-----\n${der.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END ${label}-----\n`;
}

function name(commonName: string): Buffer {
  return sequence(set(sequence(oid("2.5.4.3"), utf8(commonName))));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(oid(id), boolean(true), octets(value)) : sequence(oid(id), octets(value));
}

function subjectAltNames(names: readonly string[]): Buffer {
  const entries = names.map((entry) => {
    const bare = entry.replace(/^\[(.*)\]$/, "$1");
    if (isIP(bare) === 4) return implicit(7, Buffer.from(bare.split(".").map(Number)));
    if (isIP(bare) === 6) {
      const [head, tail = ""] = new URL(`http://[${bare}]/`).hostname.slice(1, -1).split("::");
      const front = head === "" ? [] : head.split(":");
      const back = tail === "" ? [] : tail.split(":");
      const groups = [...front, ...Array(8 - front.length - back.length).fill("0"), ...back];
      const bytes = Buffer.alloc(16);
      groups.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
      return implicit(7, bytes);
    }
    return implicit(2, Buffer.from(bare, "ascii"));
  });
  return sequence(...entries);
}

function certificate(options: { subject: string; issuer: string; publicKey: KeyObject; signer: KeyObject; days: number; ca: boolean; altNames?: readonly string[] }): Buffer {
  const now = Date.now();
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  const spki = options.publicKey.export({ type: "spki", format: "der" });
  const keyId = createHash("sha1").update(spki).digest();
  const extensions = [
    extension("2.5.29.19", true, options.ca ? sequence(boolean(true), integer(Buffer.from([0]))) : sequence()),
    extension("2.5.29.15", true, bits(Buffer.from([options.ca ? 0x06 : 0xa0]))),
    extension("2.5.29.14", false, octets(keyId)),
  ];
  if (!options.ca) {
    extensions.push(extension("2.5.29.37", false, sequence(oid("1.3.6.1.5.5.7.3.1"))));
    extensions.push(extension("2.5.29.17", false, subjectAltNames(options.altNames ?? [])));
  }
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ECDSA_SHA256,
    name(options.issuer),
    sequence(time(new Date(now - 60_000)), time(new Date(now + options.days * 86_400_000))),
    name(options.subject),
    spki,
    explicit(3, sequence(...extensions)),
  );
  const signature = sign("sha256", tbs, options.signer);
  return sequence(tbs, ECDSA_SHA256, bits(signature));
}

/** Files of a hub's self-signed TLS setup. */
export interface SelfSignedTls {
  /** PEM of the server certificate followed by the CA. */
  cert: string;
  /** PEM of the server key. */
  key: string;
  /** Path of the CA certificate clients trust (--ca / LINKER_CA). */
  caPath: string;
  /** SHA-256 fingerprint of the CA certificate, as openssl prints it. */
  fingerprint: string;
}

/**
 * A CA of the hub's own (created once in `<dir>/ca.pem`, its key in
 * `<dir>/ca-key.pem`, mode 0600) and a server certificate it signs at every
 * start for `names` plus this machine's loopback names and host name.
 * Clients trust the CA file; its fingerprint lets a user check it out of band.
 */
export function selfSignedTls(dir: string, names: readonly string[]): SelfSignedTls {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caPath = join(dir, "ca.pem");
  const caKeyPath = join(dir, "ca-key.pem");
  let caPem: string;
  let caKey: KeyObject;
  if (existsSync(caPath) && existsSync(caKeyPath)) {
    caPem = readFileSync(caPath, "utf8");
    caKey = createPrivateKey(readFileSync(caKeyPath, "utf8"));
  } else {
    const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
    caKey = pair.privateKey;
    caPem = pem("CERTIFICATE", certificate({ subject: `Linker hub CA (${hostname()})`, issuer: `Linker hub CA (${hostname()})`, publicKey: pair.publicKey, signer: caKey, days: CA_DAYS, ca: true }));
    writeFileSync(caKeyPath, caKey.export({ type: "pkcs8", format: "pem" }) as string, { mode: 0o600 });
    writeFileSync(caPath, caPem);
  }
  const ca = new X509Certificate(caPem);
  const server = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const altNames = [...new Set(["localhost", "127.0.0.1", "::1", hostname(), ...names].filter((entry) => entry !== "" && entry !== "0.0.0.0" && entry !== "::" && entry !== "*"))];
  const certDer = certificate({ subject: "Linker hub", issuer: ca.subject.replace(/^CN=/, ""), publicKey: server.publicKey, signer: caKey, days: SERVER_DAYS, ca: false, altNames });
  const cert = pem("CERTIFICATE", certDer) + caPem;
  const key = server.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  writeFileSync(join(dir, "cert.pem"), cert);
  writeFileSync(join(dir, "key.pem"), key, { mode: 0o600 });
  return { cert, key, caPath, fingerprint: ca.fingerprint256 };
}


