/**
 * The catalogue of stable error codes. A code is never renamed or reused;
 * docs/codes.md lists each one (a test keeps the two in step).
 */
export const codes = {
  CONFIG_SYNTAX: 'A configuration file could not be parsed.',
  CONFIG_INVALID: 'A configuration option has an invalid value.',
  CONFIG_UNKNOWN_OPTION: 'A configuration file sets an option ISLET does not know (warning).',
  CONFIG_FORBIDDEN: 'A configuration file uses a construct ISLET refuses to run (command substitution, unsupported docker flag).',
  ACCOUNT_EXISTS: 'The chosen username is taken.',
  ACCOUNT_INVALID_NAME: 'The chosen username breaks the username rules.',
  ACCOUNT_WEAK_PASSWORD: 'The password is shorter than the minimum length or the two entries differ.',
  ACCOUNT_BAD_LOGIN: 'Unknown username or wrong password.',
  ACCOUNT_EXPIRED: 'The account has passed its expiry time.',
  ACCOUNT_THROTTLED: 'Too many wrong passwords for the account: its password logins are paused for a while (keys still work; `islet unlock` ends it).',
  ACCOUNT_CREATION_LIMITED: 'Too many accounts were created from one address within `account_creation_window`.',
  ENV_NOT_FOUND: 'The chosen environment does not exist or is disabled.',
  IMAGE_MISSING: 'The environment image is not on the engine and could not be pulled.',
  RUNTIME_UNAVAILABLE: 'The container engine did not answer in time.',
  RUNTIME_FAILED: 'The container engine refused an operation.',
  RUNTIME_UNSUPPORTED: 'The container runtime backend lacks the operation asked for (its driver declares it in `unsupported`).',
  CAPACITY_FULL: 'The host runs as many containers as allowed and no place freed up in time.',
  CAPACITY_ACCOUNT: 'The account already runs as many containers as one account may.',
  ADMIN_NOT_FOUND: 'An admin command named an account or environment that does not exist.',
  ADMIN_INVALID: 'An admin command or console action was given an invalid value (a bulk account prefix, count, days or environment; an action).',
  SESSION_TIMEOUT: 'The trainee was idle at a prompt for longer than the menu timeout.',
  STORE_FAILED: 'The embedded database refused an operation.',
  OWNERSHIP_FOREIGN:
    'The engine holds containers of another ISLET data directory under this instance name; ISLET refuses to start (or to reap) unless told to take them over (--take-over), or refuses to use such a container for a trainee.',
  PORT_REFUSED: 'A port forward asked for a host other than localhost, or a port its environment does not list in `forward_ports`.',
  HOST_KEY_INVALID: 'An SSH host key file in the data directory cannot be read; remove it (and its .pub) to have a new one generated.',
  SSH_CRYPTO_FALLBACK: "ssh2's native crypto binding does not load under the Node running ISLET; ssh2 encrypts with its slower JavaScript fallback (warning).",
  WEB_ORIGIN_REFUSED: 'A WebSocket to the web door came from a page of another origin (or none) and was refused (cross-site WebSocket hijacking guard).',
  WEB_RESUME_REFUSED:
    "A browser asked to resume a web session without the session's resume cookie, with a wrong one, or after the session ended; the page starts a new session.",
  WEB_PROTOCOL: 'A web door client sent a frame the protocol does not allow (docs/web.md); the connection is closed.',
  WEB_NO_TLS:
    'The web door serves plain HTTP on an address other than loopback: passwords and sessions cross the network unencrypted (warning). Set `web_tls_cert` and `web_tls_key`.',
  CONSOLE_LOGIN_FAILED: 'An instructor console login named no configured instructor or gave a wrong password (or the address or instructor is throttled).',
  CONSOLE_UNAUTHENTICATED:
    'A console request carried no valid instructor session cookie (missing, forged, expired, logged out, or its instructor was removed).',
  CONSOLE_CSRF: "A console request that changes something lacked the session's CSRF token in `x-csrf-token`, or gave a wrong one.",
  CONSOLE_ORIGIN_REFUSED: 'A console WebSocket or state-changing request came from a page of another origin (or none) and was refused.',
  BROADCAST_INVALID: 'A broadcast had no printable text (control characters are removed), or named both an account and an environment.',
  CONTROL_UNAVAILABLE:
    "A command that needs the running server (`islet broadcast`) found no server on the data directory's control socket " +
    '(`control.sock`): start `islet serve`, or pass its `--data`.',
  CATALOGUE_NOT_FOUND:
    'A catalogue tool, version, suite or dataset named on the command line or in an environment (`program:`, `datasets:`) does not exist, or its image is not built yet (the message says which command builds it).',
  CATALOGUE_INVALID: 'A catalogue recipe, dataset name or `islet image`/`run`/`grouprun`/`dataset` argument is invalid.',
  CATALOGUE_BUILD_FAILED: 'Bootstrapping a base image or building a catalogue image failed (debootstrap, apt-get or the engine refused; the output says why).',
} as const;

export type ErrorCode = keyof typeof codes;
