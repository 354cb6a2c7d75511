import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerFlags, parseMountFlag, parseVolume, splitWords } from './docker-flags.ts';
import { tokenize } from './tokenize.ts';

const critical = (f: { problems: readonly { severity: string; message: string }[] }) => f.problems.filter((p) => p.severity === 'critical');

test('splitWords: blanks, quotes, backslashes and a trailing # comment, like eval', () => {
  const r = splitWords(`--env 'A=b c' -e "D=e \\"f\\"" --hostname\\ x  --dns\t1.1.1.1 # note`);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.words, ['--env', 'A=b c', '-e', 'D=e "f"', '--hostname x', '--dns', '1.1.1.1']);
});

test('splitWords refuses what eval would run', () => {
  for (const text of ['--env A=$(id)', '-e "A=$(id)"', '-e A=`id`', '--rm; rm -rf /', '--rm && reboot', '--rm | tee', '--rm > /tmp/x', '-e A=$[1]']) {
    const r = splitWords(text);
    assert.equal(r.problems.length, 1, text);
    assert.equal(r.problems[0]!.code, 'CONFIG_FORBIDDEN', text);
  }
  for (const text of ['-e "A=b', "-e 'A=b"]) assert.equal(splitWords(text).problems[0]!.code, 'CONFIG_SYNTAX');
  // A lone $ or a session placeholder is text.
  assert.deepEqual(splitWords('-e A=${SERVER} -e B=5$').words, ['-e', 'A=${SERVER}', '-e', 'B=5$']);
});

test('the allow-list, in --flag=value, --flag value, -f value, -fvalue and -f=value forms', () => {
  const f = parseDockerFlags(
    [
      '--cap-add=NET_ADMIN --cap-add net_raw --cap-drop CAP_MKNOD',
      '-m 256m --memory-swap=512m -c 512 --pids-limit=64',
      '--ulimit nofile=100:200 --ulimit=nproc=50',
      '-e A=1 --env=B=two -eC=3 -e=D=4 -e PASSED',
      '-h box -w /work -u demo --net=bridge --dns 1.1.1.1 --dns=9.9.9.9',
      '-v /a:/a:ro --volume=/b:/c --mount type=bind,source=/d,target=/e,readonly',
      '--read-only --security-opt no-new-privileges --rm -it',
    ].join(' '),
  );
  assert.deepEqual(critical(f), []);
  assert.deepEqual(f.capAdd, ['NET_ADMIN', 'NET_RAW']);
  assert.deepEqual(f.capDrop, ['MKNOD']);
  assert.equal(f.memory, '256m');
  assert.equal(f.memorySwap, '512m');
  assert.equal(f.cpuShares, 512);
  assert.equal(f.pidsLimit, 64);
  assert.deepEqual(
    [...f.ulimits],
    [
      ['nofile', '100:200'],
      ['nproc', '50'],
    ],
  );
  assert.deepEqual(
    [...f.env],
    [
      ['A', '1'],
      ['B', 'two'],
      ['C', '3'],
      ['D', '4'],
    ],
  );
  assert.deepEqual(f.envNames, ['PASSED']);
  assert.equal(f.hostname, 'box');
  assert.equal(f.workdir, '/work');
  assert.equal(f.user, 'demo');
  assert.equal(f.network, 'bridge');
  assert.deepEqual(f.dns, ['1.1.1.1', '9.9.9.9']);
  assert.deepEqual(f.mounts, [
    { source: '/a', target: '/a' },
    { source: '/b', target: '/c' },
    { source: '/d', target: '/e' },
  ]);
  assert.equal(f.readOnly, true);
  assert.equal(f.noNewPrivileges, true);
  assert.equal(f.remove, true);
  // /b:/c is not :ro: a warning, and it is mounted read-only anyway.
  assert.equal(f.problems.length, 1);
  assert.match(f.problems[0]!.message, /read-only anyway/);
});

test('later single-valued flags win, as with docker', () => {
  const f = parseDockerFlags('-m 1g --memory=2g --hostname a -h b');
  assert.equal(f.memory, '2g');
  assert.equal(f.hostname, 'b');
});

test('everything outside the allow-list is refused by name', () => {
  for (const [text, name] of [
    ['--privileged', '--privileged'],
    ['--pid=host', '--pid'],
    ['-p 8080:80', '-p'],
    ['--device /dev/kmsg', '--device'],
    ['--network=host', 'host'],
    ['--net container:x', 'none and bridge'],
    ['--security-opt seccomp=unconfined', 'seccomp'],
    ['--cap-add=NOT_A_CAP', 'unknown capability'],
    ['--ulimit bogus=1', 'name=soft'],
    ['--userns=host', '--userns'],
    ['-v data:/data', 'named volumes'],
    ['-v /only', 'anonymous'],
    ['--mount type=volume,source=x,target=/y', 'type=bind'],
    ['-e 1BAD=x', 'valid variable name'],
    ['--cpu-shares lots', 'whole number'],
    ['--memory', 'needs a value'],
    ['ubuntu', 'not a docker flag'],
    ['-itP', '-P'],
    ['--rm=maybe', 'true or false'],
    ['--name=x', '--name'],
  ] as const) {
    const f = parseDockerFlags(text);
    const c = critical(f);
    assert.ok(c.length >= 1, text);
    assert.ok(
      c.some((p) => p.message.includes(name)),
      `${text}: ${JSON.stringify(c)}`,
    );
  }
});

test('volumes: ro, rw and unknown options', () => {
  assert.deepEqual(parseVolume('/x:/y:ro').problems, []);
  assert.equal(parseVolume('/x:/y:rw').problems.length, 1);
  assert.equal(parseVolume('/x:/y:ro,z').problems.length, 1);
  assert.equal(parseVolume('/x:y').mount, undefined);
  assert.deepEqual(parseMountFlag('type=bind,src=/a,dst=/b,ro=true').mount, { source: '/a', target: '/b' });
  assert.equal(parseMountFlag('type=bind,src=/a,dst=/b,readonly=false').problems.length, 1);
});

test('--read-only=false and no-new-privileges=false are honoured', () => {
  const f = parseDockerFlags('--read-only=false --security-opt=no-new-privileges=false');
  assert.equal(f.readOnly, false);
  assert.equal(f.noNewPrivileges, false);
});

test('splitWords is the .conf Lexer with FLAG_STRING: $ is text, a newline is a blank and # ends it, the first refusal ends it', () => {
  assert.deepEqual(splitWords('-e A=$HOME -e B=$1\n--rm # x\n--privileged'), { words: ['-e', 'A=$HOME', '-e', 'B=$1', '--rm'], problems: [] });
  const file = tokenize('-e A=$HOME -e B=$1\n--rm # x\n--privileged');
  assert.deepEqual(
    file.map((s) => s.words.length),
    [4, 1, 1],
    'control: a file has one statement per line',
  );
  assert.equal(file[0]!.warnings[0]!.code, 'CONFIG_INVALID', 'control: in a file $1 is a special parameter');
  const refused = splitWords("--rm; -e 'open");
  assert.deepEqual(
    refused.problems.map((p) => p.code),
    ['CONFIG_FORBIDDEN'],
    'the unclosed quote after the refusal is not read',
  );
  assert.equal(tokenize("--rm; -e 'open")[0]!.refused!.code, 'CONFIG_SYNTAX', 'control: a file reads on (its quote error is the one kept)');
});
