import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mirrorFromSources } from './mirror.ts';

test('the archive mirror is read from one-line and deb822 sources, skipping security and third parties', () => {
  assert.equal(
    mirrorFromSources([
      'deb https://packages.cloud.google.com/apt cloud-sdk main\n',
      'Types: deb\nURIs: http://deb.debian.org/debian-security\n',
      'Types: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm\n',
    ]),
    'http://mirror.example/debian',
  );
  assert.equal(mirrorFromSources(['deb [arch=amd64] http://ftp.de.debian.org/debian bookworm main']), 'http://ftp.de.debian.org/debian');
  assert.equal(mirrorFromSources(['deb https://deb.nodesource.com/node_20.x nodistro main']), undefined);
});
