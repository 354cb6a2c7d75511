/**
 * Which image a tool reference names: `tcpdump`, `tcpdump:4.99.3`,
 * `tcpdump/4.99.3`, and ContainNSM's spellings (`opennsm/tcpdump:4.99.3`,
 * `tcpdump:latest`). Without a version: the highest version that is built.
 */
import { IsletError } from '../core/islet-error.ts';
import { LABEL_FILE_CAPS, LABEL_RECIPE } from '../runtime/names.ts';
import { inspectImages, type ImageInfo } from './docker-cli.ts';
import { containnsmRef, imageName, listRecipes, parseToolRef, type Recipe } from './recipe.ts';

export interface BuiltVersion {
  readonly recipe: Recipe;
  readonly image: string;
  readonly info: ImageInfo;
  readonly current: boolean;
}

export function normaliseRef(ref: string): { tool: string; version?: string } {
  const c = containnsmRef(ref);
  if (c) return c;
  const r = parseToolRef(ref);
  return r.version === 'latest' ? { tool: r.tool } : r;
}

/** Built images of a tool, lowest version first. */
export async function builtVersions(cat: string, tool: string): Promise<BuiltVersion[]> {
  const recipes = listRecipes(cat, tool);
  const found = await inspectImages(recipes.map((r) => imageName(r.tool, r.version)));
  return recipes.flatMap((recipe) => {
    const image = imageName(recipe.tool, recipe.version);
    const info = found.get(image);
    return info ? [{ recipe, image, info, current: info.labels[LABEL_RECIPE] === recipe.hash }] : [];
  });
}

export async function resolveBuilt(cat: string, ref: string): Promise<BuiltVersion> {
  const { tool, version } = normaliseRef(ref);
  const built = await builtVersions(cat, tool);
  if (version === undefined) {
    const top = built.at(-1);
    if (!top) throw notBuilt(tool, undefined, listRecipes(cat, tool).at(-1)?.version);
    return top;
  }
  const hit = built.find((b) => b.recipe.version === version);
  if (hit) return hit;
  const known = listRecipes(cat, tool).map((r) => r.version);
  if (!known.includes(version))
    throw new IsletError('CATALOGUE_NOT_FOUND', `${tool} ${version} is not in the catalogue (versions: ${known.join(', ')}).`, undefined, { tool, version });
  throw notBuilt(tool, version, version);
}

export function notBuilt(tool: string, version: string | undefined, buildable: string | undefined): IsletError {
  const cmd = buildable ? `islet image build ${tool}/${buildable}` : `islet image build ${tool}`;
  return new IsletError('CATALOGUE_NOT_FOUND', `${tool}${version ? ` ${version}` : ''} is not built yet; build it with: ${cmd}`, undefined, {
    tool,
    version,
    command: cmd,
  });
}

/** Capabilities the image's file capabilities need in the container's bounding set. */
export function boundingCaps(info: ImageInfo): string[] {
  const caps = info.labels[LABEL_FILE_CAPS];
  if (!caps) return [];
  const names = new Set<string>();
  for (const m of caps.matchAll(/cap_([a-z_]+)/g)) names.add(m[1]!.toUpperCase());
  return [...names];
}
