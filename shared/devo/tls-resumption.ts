/**
 * The newest TLS session one sender's connections were given, offered by its next connection so the server can
 * resume it instead of repeating the full handshake.
 *
 * Why: Devo confirms a delivery only by closing the connection that carried it, so a catch-up opens one connection
 * per delivery (about a hundred for 300,000 records). A full mutual-TLS handshake has each side sign with its key
 * and check the other's chain; a resumed one does neither, which saved about a third of the handshake's CPU on both
 * sides with the suite's P-256 keys, and more with RSA ones. The server's trust in our certificate and ours in its
 * chain carry over from the handshake that issued the session: only sessions of connections that passed every check
 * of connect.ts are kept, and a sender keeps its own, so a session never crosses to another target or certificate.
 * A server that declines a session simply runs the full handshake, with all its checks.
 */
export class TlsResumption {
  #session: Buffer | undefined;

  /** The session to offer, if a verified connection left one. */
  get session(): Buffer | undefined {
    return this.#session;
  }

  /** Keeps a session a verified connection received (servers send fresh ones after each handshake). */
  keep(session: Buffer): void {
    this.#session = session;
  }

  /** Drops the kept session, so the next connection runs a full handshake: after a TLS failure, trust nothing kept. */
  forget(): void {
    this.#session = undefined;
  }
}
