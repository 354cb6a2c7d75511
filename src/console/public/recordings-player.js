// The recording player page (src/console/recordings-routes.ts): asciinema-player (loaded before this
// module, as window.AsciinemaPlayer) plays /console/api/recordings/cast?id=…, which the server cuts at the
// last complete event, so a live recording plays up to now; Reload fetches it again. Seek is the
// player's progress bar (and its keys); speed is the select. No inline script or style (strict CSP).
const $ = (id) => document.getElementById(id);
const id = new URLSearchParams(location.search).get('id') ?? '';
let player;

async function show(at) {
  const res = await fetch(`/console/api/recordings/cast?id=${encodeURIComponent(id)}`, { credentials: 'same-origin', cache: 'no-store' });
  if (!res.ok) {
    $('info').className = 'error';
    $('info').textContent = res.status === 401 ? 'Log in to the console first.' : `This recording cannot be played (${res.status}).`;
    return;
  }
  const text = await res.text();
  const header = JSON.parse(text.slice(0, text.indexOf('\n')));
  const ended = /\[[0-9.]+, "x", "[^"]*"\]\n$/.test(text);
  $('title').textContent = header.title ?? id;
  $('info').textContent = `${new Date(header.timestamp * 1000).toLocaleString()} · ${ended ? 'complete' : 'not ended (live or partial): plays up to now'}`;
  player?.dispose();
  $('player').replaceChildren();
  player = window.AsciinemaPlayer.create({ data: text }, $('player'), {
    speed: Number($('speed').value),
    controls: true,
    fit: 'width',
    ...(at !== undefined ? { startAt: at } : {}),
  });
  window.isletPlayer = player;
}

$('speed').addEventListener('change', async () => {
  const at = player ? await player.getCurrentTime() : undefined;
  await show(at);
  player.play();
});
$('reload').addEventListener('click', () => void show());
void show();
