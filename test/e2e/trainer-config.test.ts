/**
 * What a trainer does to the config directory, seen through OpenSSH:
 * environments in both formats, hot reload, a missing image, REMOVE=yes,
 * the inactivity timeout.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { IsletProcess } from '../helpers/islet-process.ts';
import { TmuxSsh } from '../helpers/tmux-ssh.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { DockerDriver } from '../../src/runtime/docker/index.ts';
import { PROMPT, choose, createAccount, gate, sh } from '../helpers/trainee.ts';

const runId = testRunId();
const islet = new IsletProcess(runId);
const driver = new DockerDriver();

describe('trainer configuration over OpenSSH', { concurrency: false }, () => {
  before(async () => {
    writeFileSync(join(islet.configDir, 'islet.yaml'), 'menu_timeout: 4s\nbanner: "Welcome to the test event\\n"\n');
    await islet.start();
  });
  after(async () => {
    await TmuxSsh.closeAll();
    await islet.dispose();
    await sweepTestContainers(runId);
  });

  test('an original ISLET .conf environment dropped in place shows in the next menu and runs with its settings', async () => {
    const s = await gate(islet.port);
    await createAccount(s, 'erin');
    await s.waitFor('[Choice]:');
    const screen = await s.history();
    assert.ok(!screen.includes('oldschool'), 'not there yet');
    writeFileSync(
      join(islet.configDir, 'environments/oldschool.conf'),
      [
        '# An environment in the original ISLET syntax',
        'ENVIRONMENT="islet/demo:latest"',
        'DESCRIPTION="Old-school .conf environment"   # trailing comment',
        'ENABLE="yes"',
        'VIRTUSER="student"',
        'WORKDIR="/home/$VIRTUSER"',
        'COMMAND="/bin/sh -l"',
        'HOSTNAME="oldbox"',
        'MEMORY="64m"',
        'SWAP="10m"',
        'NETWORK="none"',
        'export PLATFORM=islet',
        'ENVS="PLATFORM"',
        'MOTD="Hello ${USERNAME} from $CLIENT"',
        '',
      ].join('\n'),
    );
    await s.line('xx'); // an invalid answer re-asks; the menu is re-read at the next display
    await s.waitFor('Invalid choice! Try again (1/3)');
    await s.keys('C-c');
    await s.waitExit();
    await s.close();
    const t = await gate(islet.port);
    await t.waitFor('Welcome to the test event');
    await t.waitFor('[new/existing]:');
    await t.line('existing');
    await t.waitFor('Username:');
    await t.line('erin');
    await t.waitFor('Password:');
    await t.line('trainee1');
    await choose(t, 'oldschool');
    await t.waitFor('Hello erin from 127.0.0.1');
    await t.waitFor(PROMPT);
    assert.equal(await sh(t, 'hostname; echo $PLATFORM; pwd'), 'oldbox\nislet\n/home/student');
    assert.match(await sh(t, 'echo $TERM'), /^(screen|tmux|xterm)/, 'TERM comes from the client');
    const info = await driver.inspect(`${islet.instance}.oldschool.erin`);
    assert.equal(info?.labels['islet.environment'], 'oldschool');
    await t.close();
  });

  test('a missing image gives a clear message in the menu, not a crash', async () => {
    writeFileSync(join(islet.configDir, 'environments/ghost.yaml'), `image: islet/does-not-exist-${runId}:1\ndescription: Missing image\n`);
    const s = await gate(islet.port);
    await createAccount(s, 'frank');
    await choose(s, 'ghost');
    await s.waitFor('Image not found, trying Docker Hub...');
    await s.waitFor(/not available|tell the instructor/i);
    await choose(s, 'demo'); // the menu is shown again
    await s.waitFor(PROMPT);
    await s.close();
    rmSync(join(islet.configDir, 'environments/ghost.yaml'));
  });

  test('a remove-on-exit environment starts fresh each time and says so', async () => {
    writeFileSync(
      join(islet.configDir, 'environments/scratch.yaml'),
      'image: islet/demo:latest\nuser: student\nremove_on_exit: true\ndescription: Throwaway\n',
    );
    const s = await gate(islet.port);
    await createAccount(s, 'gina');
    await choose(s, 'scratch');
    await s.waitFor('This container is set to be terminated upon exit, work will not be saved.');
    await s.waitFor(PROMPT);
    await sh(s, 'touch leftover');
    await s.line('exit');
    await choose(s, 'scratch');
    await s.waitFor('This container is set to be terminated upon exit');
    await s.waitFor(PROMPT);
    assert.equal(await sh(s, 'ls leftover 2>/dev/null || echo gone'), 'gone');
    await s.close();
  });

  test('a broken edit keeps the last good version of an environment in the menu', async () => {
    mkdirSync(join(islet.configDir, 'environments'), { recursive: true });
    writeFileSync(join(islet.configDir, 'environments/steady.yaml'), 'image: islet/demo:latest\ndescription: Steady v1\n');
    const s = await gate(islet.port);
    await createAccount(s, 'hank');
    await s.waitFor('Steady v1');
    writeFileSync(join(islet.configDir, 'environments/steady.yaml'), 'image: islet/demo:latest\ndescription: Steady v2\nmemory: plenty\n');
    await s.line('1'); // demo
    await s.waitFor(PROMPT);
    await s.line('exit');
    await s.waitFor('Steady v1');
    await islet.waitForLog((l) => l.event === 'config_issue' && String(l.msg).includes('steady.yaml:3'));
    await s.close();
  });

  test('a read-only root filesystem keeps home and /tmp writable, and home survives a restart of the shell', async () => {
    writeFileSync(join(islet.configDir, 'environments/locked.yaml'), 'image: islet/demo:latest\nuser: student\nread_only_root: true\n');
    const s = await gate(islet.port);
    await createAccount(s, 'ivan');
    await choose(s, 'locked');
    await s.waitFor(PROMPT);
    assert.equal(await sh(s, 'touch /etc/x 2>/dev/null && echo wrote || echo refused'), 'refused', 'the root filesystem is read-only');
    assert.equal(await sh(s, 'touch /tmp/t && echo ok > ~/kept && cat ~/kept'), 'ok');
    await s.line('exit');
    await choose(s, 'locked');
    await s.waitFor(PROMPT);
    assert.equal(await sh(s, 'cat ~/kept'), 'ok', 'home is a volume that survives the shell exiting');
    await s.close();
  });

  test('an idle prompt ends the session politely after menu_timeout', async () => {
    const s = await gate(islet.port);
    await s.waitFor('[new/existing]:');
    await s.waitFor('Session ended due to inactivity', 10_000);
    await s.waitExit();
    await s.close();
  });
});
