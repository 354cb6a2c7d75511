/**
 * The sentences of the menu (MenuSession and its plugins), in the original
 * ISLET's wording so trainers' handouts stay valid. Text said elsewhere stays
 * with the code that says it: the environment runner's greetings ("Enjoy
 * yourself!"), lifecycle notices, access/ throttling messages, IsletError
 * messages safe for trainees.
 */
export const prompts = {
  newOrExisting: 'Are you a new or existing user? [new/existing]: ',
  notUnderstood: "I didn't understand your response. Would you like to try again? [yes/no]: ",
  tempAccount: 'A temporary account will be created so that you can resume your session.',
  chooseUsername: 'Choose a username: [a-zA-Z0-9]: ',
  yourUsername: (u: string) => `Your username is ${u}`,
  choosePassword: (min: number) => `Choose a password: [a-zA-Z0-9{${min},}]: `,
  verifyPassword: 'Verify your password: ',
  passwordMismatch: (min: number, c: number, n: number) => `Passwords do not match or meet length requirements (${min}). Try again (${c}/${n}).`,
  willExpire: (date: string, left: string) => `Your account will expire on ${date} (in ${left}).`,
  previousAccount: 'Your previous account is only valid for the length of the event, after that you must create a new account.',
  username: 'Username: ',
  password: 'Password: ',
  success: 'Success',
  loginFailed: (c: number, n: number) => `Login failed, try again (${c}/${n}).`,
  tooManyFailures: (c: number, n: number) => `Too many failed attempts! (${c}/${n}).`,
  available: 'Available configurations:',
  chooseNumber: 'Choose a number to load the configuration (or ^C to exit):',
  choice: '[Choice]: ',
  invalidChoice: (c: number, n: number) => `Invalid choice! Try again (${c}/${n})`,
  noConfigurations: 'No configurations available!',
  inactivity: 'Session ended due to inactivity',
  quit: 'Quit by user...',
  // Plugins
  chooseToDelete: 'Choose one of your existing containers to delete (0 for main menu):',
  noContainers: 'There are no existing containers to delete',
  removingContainer: 'Removing existing container..',
  containerRemoved: 'Container removed!',
  confirmDeleteUser: (u: string) => `Delete account ${u} and all of its environments? This cannot be undone. [yes/no]: `,
  removingUser: (u: string) => `Removing user ${u}..`,
  accountRemoved: 'Account removed, exiting...',
  restarting: 'Restarting ISLET session...',
} as const;
