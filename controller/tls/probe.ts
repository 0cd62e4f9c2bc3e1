import { checkServerIdentity, connect, PeerCertificate } from "node:tls";

/** What the terminator serves for a domain, as a visitor's TLS handshake sees it. */
export type ServedCert = { readonly domain: string; readonly notAfter: Date } | { readonly domain: string; readonly error: string };

/**
 * A TLS handshake with SNI `domain` to the terminator at host:port: the served certificate's
 * expiry, measured rather than taken from the controller's records (a rollout that did not
 * happen, or a stale task, shows here). Chain trust is not checked (a private or test CA is
 * fine); the name is: hitch answers an unknown name with its first certificate.
 */
export function probeServed(host: string, port: number, domain: string, timeoutMs = 5000): Promise<ServedCert> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, servername: domain, rejectUnauthorized: false, timeout: timeoutMs, ALPNProtocols: ["http/1.1"] });
    const done = (r: ServedCert) => {
      socket.destroy();
      resolve(r);
    };
    socket.once("secureConnect", () => {
      const cert: PeerCertificate = socket.getPeerCertificate();
      if (cert.valid_to === undefined) return done({ domain, error: "no certificate served" });
      const mismatch = checkServerIdentity(domain, cert);
      if (mismatch !== undefined) return done({ domain, error: `the served certificate does not cover ${domain}` });
      done({ domain, notAfter: new Date(cert.valid_to) });
    });
    socket.once("timeout", () => done({ domain, error: `no TLS answer within ${timeoutMs} ms` }));
    socket.once("error", (err) => done({ domain, error: err.message }));
  });
}
