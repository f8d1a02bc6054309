/**
 * What protects a teleport connection (docs/saved-state.md, "Teleport security"). By default ('tls-psk') the TCP
 * connection is TLS 1.2 with a pre-shared key (RFC 4279 / RFC 5489, cipher ECDHE-PSK-CHACHA20-POLY1305 from
 * node:tls): the password never crosses the wire, each end proves it knows the key (a wrong key fails the TLS
 * Finished check), and everything after the handshake — commands and guest RAM — is encrypted and authenticated,
 * with forward secrecy from the ephemeral ECDH share.
 *
 * Key: scrypt(password, salt, 32 bytes, N = 2^14, r = 8, p = 1) from node:crypto. The target draws a fresh
 * 16-byte salt per listen and sends it as the PSK identity hint "vmm-actors-teleport-1 scrypt salt=<hex>"; the
 * source answers with the identity "vmm-actors-teleport-1". A rogue target can still try passwords offline
 * against one handshake it received, at scrypt's cost per guess: use a long random password.
 *
 * 'plain' is the old wire (password line in clear, stream in clear) for a trusted network only; both ends must
 * ask for it explicitly.
 */
import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import { createSecureContext, TLSSocket, type ConnectionOptions } from 'node:tls';
import { VBoxError, VERR_AUTHENTICATION_FAILURE, VERR_INVALID_MAGIC, VERR_INVALID_PARAMETER } from '../status.js';

export type TeleportSecurity = 'tls-psk' | 'plain';

export const TELEPORTER_PSK_IDENTITY = 'vmm-actors-teleport-1';
export const TELEPORTER_TLS_CIPHERS = 'ECDHE-PSK-CHACHA20-POLY1305';
const HINT_PREFIX = `${TELEPORTER_PSK_IDENTITY} scrypt salt=`;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** scrypt's interactive-login cost: ~16 MiB and a few tens of ms per derivation. */
const SCRYPT = { N: 1 << 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const TLS_VERSIONS = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } as const;

/** `insecure: 'plain'` or nothing: anything else is refused, so a typo never downgrades the connection. */
export function securityOf(insecure: unknown): TeleportSecurity {
  if (insecure === undefined) return 'tls-psk';
  if (insecure === 'plain') return 'plain';
  throw new VBoxError(VERR_INVALID_PARAMETER, `teleport: insecure must be 'plain' or left out, got ${String(insecure)}`);
}

/** The target's key material for one listen: a fresh salt, the derived key, the hint that carries the salt. */
export interface TargetKey {
  psk: Buffer;
  hint: string;
}

export async function targetKey(password: string): Promise<TargetKey> {
  const salt = randomBytes(SALT_BYTES);
  const psk = await new Promise<Buffer>((resolve, reject) =>
    scrypt(password, salt, KEY_BYTES, SCRYPT, (error, key) => (error ? reject(error) : resolve(key))),
  );
  return { psk, hint: HINT_PREFIX + salt.toString('hex') };
}

/** Target side: TLS on an accepted socket; `secure` resolves once the peer proved the key. */
export function serverTls(socket: Socket, key: TargetKey): TLSSocket {
  return new TLSSocket(socket, {
    isServer: true,
    secureContext: createSecureContext({ ciphers: TELEPORTER_TLS_CIPHERS, ...TLS_VERSIONS }),
    pskCallback: (_tls: TLSSocket, identity: string) => (identity === TELEPORTER_PSK_IDENTITY ? key.psk : null),
    pskIdentityHint: key.hint,
  } as ConstructorParameters<typeof TLSSocket>[1]);
}

/** Source side: TLS client options; the key is derived from the salt in the target's hint. */
export function clientTlsOptions(password: string, onBadHint: () => void): ConnectionOptions {
  return {
    ciphers: TELEPORTER_TLS_CIPHERS, ...TLS_VERSIONS,
    checkServerIdentity: () => undefined, // no certificates: the PSK authenticates the target
    pskCallback: (hint: string | null) => {
      const salt = hint?.startsWith(HINT_PREFIX) ? Buffer.from(hint.slice(HINT_PREFIX.length), 'hex') : null;
      if (!salt || salt.length !== SALT_BYTES) {
        onBadHint();
        return { psk: randomBytes(KEY_BYTES), identity: TELEPORTER_PSK_IDENTITY }; // fails the handshake
      }
      return { psk: scryptSync(password, salt, KEY_BYTES, SCRYPT), identity: TELEPORTER_PSK_IDENTITY };
    },
  };
}

/** A TLS alert or record failure that means the two keys differ (wrong password on one side). */
export function isKeyMismatch(error: NodeJS.ErrnoException): boolean {
  return /BAD_RECORD_MAC|DECRYPT_ERROR|DECRYPTION_FAILED|UNKNOWN_PSK_IDENTITY|ALERT_HANDSHAKE_FAILURE/.test(error.code ?? '');
}

/** The status a failed TLS handshake gives: a key mismatch is an authentication failure, the rest a foreign peer. */
export function tlsFailureStatus(error: NodeJS.ErrnoException): number {
  return isKeyMismatch(error) ? VERR_AUTHENTICATION_FAILURE : VERR_INVALID_MAGIC;
}

/** Plain mode's password check: equal-length digests compared in constant time. */
export function passwordMatches(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
