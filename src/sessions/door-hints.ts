/**
 * The words a front door adds to the session engine's: how a trainee downloads their work, enrolls a key,
 * or names an environment for a command, said in that door's terms (the SSH door's: sshd/ssh-hints.ts).
 * The session engine speaks no door's protocol; a door without a way to do something leaves its hint out,
 * and the engine says so in neutral words.
 */
export interface DoorHints {
  /** Lines telling the trainee how to download `home` of `environment` from their own computer. */
  download?(o: { readonly account: string; readonly environment: string; readonly home: string }): string[];
  /** Enrolling a public key for key logins at this door: the request, and the line after it succeeded. */
  readonly keys?: { readonly ask: string; added(account: string): string };
  /** A command sent without an environment: how to name one (`environments` are the enabled ones). */
  commandNeedsEnvironment?(account: string, command: string, environments: readonly string[]): string;
  /** A command that ended with status 127: a hint when it is a program the door's clients run remotely. */
  missingProgram?(command: string, environment: string): string | undefined;
}

/** No door-specific words: the engine's neutral ones. */
export const noHints: DoorHints = {};
