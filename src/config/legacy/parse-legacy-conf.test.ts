import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigIssue } from '../config-issue.ts';
import { parseLegacyConf, type LegacyVar } from './parse-legacy-conf.ts';
import { readFixture } from './fixtures/chain.ts';

const parse = (text: string, inherited: ReadonlyMap<string, LegacyVar> = new Map()) => parseLegacyConf(text, 'test.conf', inherited);
const values = (vars: ReadonlyMap<string, LegacyVar>) => Object.fromEntries([...vars].map(([k, v]) => [k, v.value]));
const critical = (issues: readonly ConfigIssue[]) => issues.filter((i) => i.severity === 'critical');

test('blank lines, full-line, indented and trailing comments', () => {
  const r = parse(
    [
      '# full line',
      '',
      '   # indented comment',
      '\t\t# tab-indented comment',
      'A="x"   # trailing comment',
      '  B=y\t# indented assignment, trailing comment',
      'C=z#not-a-comment',
      'D="has # inside" # and a real one',
      "E='single # too'",
      'F= # empty value, then a comment',
    ].join('\n'),
  );
  assert.deepEqual(r.issues, []);
  assert.deepEqual(values(r.vars), { A: 'x', B: 'y', C: 'z#not-a-comment', D: 'has # inside', E: 'single # too', F: '' });
  assert.equal(r.vars.get('A')!.line, 5);
  assert.equal(r.vars.get('B')!.line, 6);
});

test('quoting: double, single (literal), unquoted and concatenated parts', () => {
  const r = parse(['X=1', 'A="a $X b"', "B='a $X b'", 'C=pre"mid $X"\'$X\'post', 'D=""', "E=''", 'F=ISLETVERS', 'G=USERACCOUNT'].join('\n'));
  assert.deepEqual(r.issues, []);
  assert.deepEqual(values(r.vars), { X: '1', A: 'a 1 b', B: 'a $X b', C: 'premid 1$Xpost', D: '', E: '', F: 'ISLETVERS', G: 'USERACCOUNT' });
});

test('escapes inside double quotes: only \\\\ \\" \\` \\$ and backslash-newline; other backslashes stay', () => {
  const r = parse('A="1\\\\ 2\\" 3\\` 4\\$X 5\\. 6\\| 7\\( 8\\n 9\\\ncontinued"');
  assert.deepEqual(r.issues, []);
  assert.equal(r.vars.get('A')!.value, '1\\ 2" 3` 4$X 5\\. 6\\| 7\\( 8\\n 9continued');
});

test('unquoted backslash escapes the next character; backslash-newline continues the line', () => {
  const r = parse('A=a\\ b\\$c\\\nd\nB=next');
  assert.deepEqual(r.issues, []);
  assert.equal(r.vars.get('A')!.value, 'a b$cd');
  assert.equal(r.vars.get('B')!.line, 3);
});

test('multi-line double-quoted values keep newlines verbatim and lines stay counted', () => {
  const r = parse('MOTD="line one\n  line two\n"\nNEXT=1');
  assert.equal(r.vars.get('MOTD')!.value, 'line one\n  line two\n');
  assert.equal(r.vars.get('NEXT')!.line, 4);
  assert.deepEqual(r.issues, []);
});

test('the fixture banner (\\\\, \\", \\`, \\.) comes out exactly as bash would print it', () => {
  const r = parse(readFixture('islet.conf'));
  assert.deepEqual(r.issues, []);
  assert.equal(
    r.vars.get('BANNER')!.value,
    [
      '',
      '   ___ ____  _     _____ _____',
      '  |_ _/ ___|| |   | ____|_   _|   "Isolated, Scalable',
      '   | |\\___ \\| |   |  _|   | |      & Lightweight',
      '   | | ___) | |___| |___  | |      Environment for Training"',
      '  |___|____/|_____|_____| |_|',
      '  \\ back\\slash, `tick`, dot\\.  # not a comment',
      '',
    ].join('\n'),
  );
});

test('banner round trip: any text quoted the legacy way parses back to itself', () => {
  const quote = (s: string) => `"${s.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
  const texts = ['\n  /\\_/\\  "cat" `x` $HOME ${Y} \\. \\| \\(\n\t tab\n', '\\\\ double \\\\\\ triple \\', '# not a comment\n$ prompt\n'];
  for (const t of texts) {
    const r = parse(`BANNER=${quote(t)}\nAFTER=1`);
    assert.deepEqual(r.issues, [], t);
    assert.equal(r.vars.get('BANNER')!.value, t);
    assert.equal(r.vars.get('AFTER')!.value, '1');
  }
});

test('$NAME and ${NAME} expand from earlier lines; $ before a non-name character stays literal', () => {
  const r = parse(
    [
      'INSTALL_DIR="/opt/islet"',
      'LIBISLET="$INSTALL_DIR/lib/libislet"',
      'VIRTUSER=demo',
      'WORKDIR=/home/${VIRTUSER}',
      'MOTD="Run: $ netsniff-ng -i eth0, costs 5$, ${VIRTUSER}x $VIRTUSERx"',
    ].join('\n'),
  );
  assert.equal(r.vars.get('LIBISLET')!.value, '/opt/islet/lib/libislet');
  assert.equal(r.vars.get('WORKDIR')!.value, '/home/demo');
  // $VIRTUSERx is a different (undefined) name, as in bash.
  assert.equal(r.vars.get('MOTD')!.value, 'Run: $ netsniff-ng -i eth0, costs 5$, demox ');
  assert.equal(r.issues.length, 1);
  assert.equal(r.issues[0]!.severity, 'warning');
  assert.equal(r.issues[0]!.option, 'MOTD');
  assert.match(r.issues[0]!.message, /\$VIRTUSERx/);
});

test('${X} from an earlier file (inherited), and later assignments win', () => {
  const g = parse('INSTALL_DIR=/opt/islet\nDAYS=3\nexport PLATFORM=islet');
  const m = parseLegacyConf('LIBISLET="${INSTALL_DIR}/lib"\nDAYS=5', 'module.conf', g.vars);
  assert.deepEqual(m.issues, []);
  assert.equal(m.vars.get('LIBISLET')!.value, '/opt/islet/lib');
  assert.equal(m.vars.get('DAYS')!.value, '5');
  // Untouched inherited entries are the very same objects, so the caller can tell which names a file set.
  assert.equal(m.vars.get('INSTALL_DIR'), g.vars.get('INSTALL_DIR'));
  assert.notEqual(m.vars.get('DAYS'), g.vars.get('DAYS'));
  // The inherited map is not modified.
  assert.equal(g.vars.get('DAYS')!.value, '3');
  assert.equal(g.vars.has('LIBISLET'), false);
});

test('undefined names expand to "" with a warning and the host environment never leaks', () => {
  process.env.ISLET_TEST_SECRET = 'leaked';
  try {
    const r = parse('A="[$ISLET_TEST_SECRET][$HOME][$PATH][${HOSTNAME}]"');
    assert.equal(r.vars.get('A')!.value, '[][][][]');
    assert.equal(r.issues.length, 4);
    for (const i of r.issues) {
      assert.equal(i.severity, 'warning');
      assert.equal(i.option, 'A');
      assert.equal(i.line, 1);
      assert.equal(i.file, 'test.conf');
    }
  } finally {
    delete process.env.ISLET_TEST_SECRET;
  }
});

test('session variables expand to ${NAME} placeholders for the session engine', () => {
  const r = parse(
    [
      'MOTD="Connect to http://$SERVER:$PPID"',
      'X="$CLIENT $SRCPORT $DSTPORT $IP $SSH_TTY $DISPLAY $TERM $HOST_PORT $TMOUT ${USERNAME} $CONFIGURATION $BASE"',
      "Y='$SERVER'",
    ].join('\n'),
  );
  assert.deepEqual(r.issues, []);
  assert.equal(r.vars.get('MOTD')!.value, 'Connect to http://${SERVER}:${PPID}');
  assert.equal(
    r.vars.get('X')!.value,
    '${CLIENT} ${SRCPORT} ${DSTPORT} ${IP} ${SSH_TTY} ${DISPLAY} ${TERM} ${HOST_PORT} ${TMOUT} ${USERNAME} ${CONFIGURATION} ${BASE}',
  );
  assert.equal(r.vars.get('Y')!.value, '$SERVER');
});

test('assigning a session variable is ignored with a warning', () => {
  const r = parse('USERNAME=root\nTERM=xterm');
  assert.equal(r.vars.has('USERNAME'), false);
  assert.equal(r.vars.has('TERM'), false);
  assert.equal(r.issues.length, 2);
  assert.deepEqual(
    r.issues.map((i) => [i.option, i.line, i.severity]),
    [
      ['USERNAME', 1, 'warning'],
      ['TERM', 2, 'warning'],
    ],
  );
});

test('export forms: NAME=value, NAME, mixed lists; exported is tracked and survives reassignment', () => {
  const r = parse(
    [
      'ENVIRONMENT="broplatform/brolive"',
      'export ENVIRONMENT PLATFORM=islet',
      'export LD_LIBRARY_PATH=/usr/local/lib',
      'LATER_EXPORTED=1',
      'export LATER_EXPORTED',
      'export EARLY',
      'EARLY=2',
      'PLAIN=3',
      'LD_LIBRARY_PATH=/opt/lib',
    ].join('\n'),
  );
  assert.deepEqual(r.issues, []);
  const ex = Object.fromEntries([...r.vars].map(([k, v]) => [k, v.exported]));
  assert.deepEqual(ex, { ENVIRONMENT: true, PLATFORM: true, LD_LIBRARY_PATH: true, LATER_EXPORTED: true, EARLY: true, PLAIN: false });
  assert.equal(r.vars.get('ENVIRONMENT')!.line, 1); // exporting keeps the assignment's line
  assert.equal(r.vars.get('PLATFORM')!.line, 2);
  assert.equal(r.vars.get('LD_LIBRARY_PATH')!.value, '/opt/lib');
});

test("exporting an inherited variable makes it this file's, at the export line", () => {
  const g = parse('ENVIRONMENT=ubuntu\nexport PLATFORM=islet');
  const e = parseLegacyConf('# comment\nexport ENVIRONMENT PLATFORM', 'env.conf', g.vars);
  assert.deepEqual(e.issues, []);
  assert.deepEqual(e.vars.get('ENVIRONMENT'), { value: 'ubuntu', line: 2, exported: true });
  assert.equal(e.vars.get('PLATFORM'), g.vars.get('PLATFORM')); // already exported: untouched
});

test('export of a name never defined warns; export options and bad names are refused', () => {
  const r = parse('export NOPE\nexport -n A\nexport 1BAD=x\nexport "Q"=1\nexport');
  assert.deepEqual(
    r.issues.map((i) => [i.line, i.severity, i.code]),
    [
      [2, 'critical', 'CONFIG_FORBIDDEN'],
      [3, 'critical', 'CONFIG_SYNTAX'],
      [4, 'critical', 'CONFIG_SYNTAX'],
      [5, 'warning', 'CONFIG_SYNTAX'],
      [1, 'warning', 'CONFIG_UNKNOWN_OPTION'],
    ],
  );
  assert.equal(r.vars.size, 0);
});

test('several assignments on one line expand left to right; += appends', () => {
  const r = parse('A=1 B=$A C="${B}2"\nC+=3');
  assert.deepEqual(values(r.vars), { A: '1', B: '1', C: '123' });
});

test('refused: $(id), backticks, $((…)), ; rm -rf /, &&, |, redirections, source, ., functions, commands', () => {
  const cases: [string, RegExp][] = [
    ['A="$(id)"', /command substitution \$\(…\)/],
    ['A=$(id)', /command substitution/],
    ['A="x `id` y"', /command substitution `…`/],
    ['A=`id`', /command substitution `…`/],
    ['A=$((1+2))', /arithmetic/],
    ['A=$[1+2]', /arithmetic/],
    ['A=1; rm -rf /', /`;`/],
    ['A=1 && reboot', /`&&`/],
    ['A=1 || reboot', /`\|\|`/],
    ['A=1 | tee x', /`\|`/],
    ['A=1 > /etc/passwd', /redirection/],
    ['A=1 < /etc/shadow', /redirection/],
    ['A=1 &', /background/],
    ['source /etc/islet/x.conf', /`source` would read and run another file/],
    ['. /etc/islet/x.conf', /`\.` would read and run another file/],
    ['f() { echo; }', /define a function/],
    ['function f { echo; }', /function definitions/],
    ['echo hello', /`echo` would run as a command/],
    ['A=1 echo hello', /`echo` would run as a command/],
    ['A= echo', /with A set only for it/],
    ['A = 1', /no whitespace around =/],
    ['A=(1 2)', /subshell or array/],
    ['A="${B:-x}"', /only \$NAME and \$\{NAME\}/],
    ['A="${#B}"', /only \$NAME/],
    ['A="${B"', /no closing \}/],
    ["A=$'\\x41'", /not supported/],
  ];
  for (const [line, re] of cases) {
    const r = parse(`BEFORE=1\n${line}\nAFTER=2`);
    const c = critical(r.issues);
    assert.equal(c.length, 1, `${line}: ${JSON.stringify(r.issues)}`);
    assert.match(c[0]!.message, re, line);
    assert.equal(c[0]!.line, 2, line);
    assert.equal(c[0]!.file, 'test.conf');
    assert.ok(c[0]!.code === 'CONFIG_FORBIDDEN' || c[0]!.code === 'CONFIG_SYNTAX', line);
    // Nothing of the refused line is kept, the other lines are.
    assert.equal(r.vars.has('A'), false, line);
    assert.equal(r.vars.get('BEFORE')?.value, '1', line);
    assert.equal(r.vars.get('AFTER')?.value, '2', line);
  }
});

test('a refused assignment names its variable and column', () => {
  const r = parse('DESCRIPTION="Owned by $(id)"');
  assert.equal(r.issues[0]!.option, 'DESCRIPTION');
  assert.equal(r.issues[0]!.code, 'CONFIG_FORBIDDEN');
  assert.match(r.issues[0]!.message, /column 23/);
});

test('backticks and $( inside single quotes or escaped are plain text', () => {
  const r = parse('A=\'$(id) `id`\'\nB="\\`id\\` \\$(id)"');
  assert.deepEqual(r.issues, []);
  assert.equal(r.vars.get('A')!.value, '$(id) `id`');
  assert.equal(r.vars.get('B')!.value, '`id` $(id)');
});

test('a multi-line $(…) is skipped as a whole and later lines are read', () => {
  const r = parse('A="$(cat <<EOF\nx ; y | z\nEOF\n)"\nB=ok');
  assert.equal(critical(r.issues).length, 1);
  assert.equal(r.vars.get('B')!.value, 'ok');
  assert.equal(r.vars.get('B')!.line, 5);
});

test('fixture bad/injection.conf: every dangerous line refused, the harmless ones kept', () => {
  const r = parseLegacyConf(readFixture('bad/injection.conf'), 'bad/injection.conf', new Map());
  const c = critical(r.issues);
  assert.deepEqual(
    c.map((i) => i.line),
    [3, 4, 5, 6, 7, 8, 9, 10],
  );
  assert.ok(c.every((i) => i.code === 'CONFIG_FORBIDDEN'));
  assert.deepEqual(values(r.vars), { ENVIRONMENT: 'ubuntu', ENABLE: 'yes', WORKDIR: '/home/demo' });
});

test('unterminated quote: CONFIG_SYNTAX at the line where it opened, later lines still read', () => {
  const r = parse('A=1\nB="never closed\nC=3\n');
  assert.equal(r.issues.length, 1);
  assert.equal(r.issues[0]!.code, 'CONFIG_SYNTAX');
  assert.equal(r.issues[0]!.line, 2);
  assert.equal(r.issues[0]!.option, 'B');
  assert.match(r.issues[0]!.message, /unterminated double quote opened at line 2 column 3/);
  assert.equal(r.vars.get('A')!.value, '1');
  assert.equal(r.vars.get('C')!.value, '3');
  assert.equal(r.vars.has('B'), false);

  const s = parse("A='open\nB=2");
  assert.equal(s.issues[0]!.line, 1);
  assert.match(s.issues[0]!.message, /single quote/);
  assert.equal(s.vars.get('B')!.value, '2');
});

test('the man page typo `export PLATFORM=islet"` is blamed on its own line', () => {
  const r = parseLegacyConf(readFixture('bad/unterminated.conf'), 'bad/unterminated.conf', new Map());
  assert.equal(r.issues.length, 1);
  assert.equal(r.issues[0]!.line, 4);
  assert.equal(r.issues[0]!.option, 'PLATFORM');
  assert.match(r.issues[0]!.message, /line 4 column 22/);
  assert.deepEqual(values(r.vars), { ENVIRONMENT: 'ubuntu', ENABLE: 'yes', VIRTUSER: 'demo' });
});

test('a value spanning lines outside BANNER/MOTD/DESCRIPTION gets a warning', () => {
  const r = parse('HOSTNAME="box\n"');
  assert.equal(r.issues.length, 1);
  assert.equal(r.issues[0]!.severity, 'warning');
  assert.equal(r.issues[0]!.option, 'HOSTNAME');
});

test('special parameters ($1, $$, $?) stay literal with a warning', () => {
  const r = parse('A="$1 $$ $?"');
  assert.equal(r.vars.get('A')!.value, '$1 $$ $?');
  assert.equal(r.issues.length, 3);
  assert.ok(r.issues.every((i) => i.severity === 'warning'));
});

test('CRLF line endings are read like LF', () => {
  const r = parse('A="x"\r\nB=y # c\r\nC="m\r\nn"\r\n');
  assert.deepEqual(values(r.vars), { A: 'x', B: 'y', C: 'm\nn' });
  assert.equal(r.vars.get('C')!.line, 3);
});

test('NUL bytes are refused', () => {
  const r = parse('A="x\0y"\nB=1');
  assert.equal(critical(r.issues).length, 1);
  assert.equal(r.vars.has('A'), false);
  assert.equal(r.vars.get('B')!.value, '1');
});

test('every fixture parses without issues', () => {
  for (const f of [
    'islet.conf',
    'modules/docker.conf',
    'environments/brolive.conf',
    'environments/sagan.conf',
    'environments/silklive.conf',
    'environments/argus.conf',
    'plugins/clear.conf',
    'plugins/del_training.conf',
    'plugins/del_user.conf',
    'plugins/restart.conf',
  ]) {
    const r = parseLegacyConf(
      readFixture(f),
      f,
      new Map([
        ['VIRTUSER', { value: 'demo', line: 1, exported: false }],
        ['INSTALL_DIR', { value: '/opt/islet', line: 1, exported: false }],
      ]),
    );
    assert.deepEqual(r.issues, [], f);
  }
});

test('the indented blocks of modules/docker.conf are read', () => {
  const r = parse(readFixture('modules/docker.conf'));
  assert.equal(r.vars.get('CAP_SETUID')!.value, 'yes');
  assert.equal(r.vars.get('CAP_WAKE_ALARM')!.value, 'no');
  assert.equal(r.vars.get('ULIMIT_NOFILE')!.value, '1024:2048');
  assert.equal(r.vars.get('ULIMIT_CORE')!.value, '');
  assert.equal([...r.vars.keys()].filter((k) => k.startsWith('CAP_')).length, 37);
  assert.equal([...r.vars.keys()].filter((k) => k.startsWith('ULIMIT_')).length, 15);
});

test('too many refused statements: the rest of the file is not read, with a final issue', () => {
  const r = parse(Array.from({ length: 150 }, () => 'echo hi').join('\n') + '\nA=1');
  const c = critical(r.issues);
  assert.equal(c.length, 101);
  assert.match(c.at(-1)!.message, /not read/);
  assert.equal(r.vars.has('A'), false);
});
