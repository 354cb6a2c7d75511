/**
 * The only algorithms the SSH front door offers (host keys: see host-keys.ts): no SHA-1 signatures or
 * MACs, no CBC ciphers, no weak or SHA-1 key exchange. Every current OpenSSH,
 * PuTTY and ssh2 client speaks these.
 */
import type { Algorithms } from 'ssh2';

export const modernAlgorithms: Algorithms = {
  kex: [
    'curve25519-sha256',
    'curve25519-sha256@libssh.org',
    'ecdh-sha2-nistp256',
    'ecdh-sha2-nistp384',
    'ecdh-sha2-nistp521',
    'diffie-hellman-group16-sha512',
    'diffie-hellman-group18-sha512',
    'diffie-hellman-group14-sha256',
  ],
  cipher: ['chacha20-poly1305@openssh.com', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr'],
  serverHostKey: ['ssh-ed25519', 'ecdsa-sha2-nistp256'],
  hmac: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512'],
  compress: ['none'],
};
