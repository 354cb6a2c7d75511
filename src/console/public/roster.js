// The live roster (filled in by the roster commit): mountRoster(rosterEl, overviewEl, api, hooks).
export function mountRoster(el) {
  el.textContent = 'Roster: connecting…';
  return { selection: () => [], close: () => undefined };
}
