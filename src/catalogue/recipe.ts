/**
 * Catalogue recipes: `catalogue/<tool>/<version>/recipe.yaml` (a suite and
 * packages, optional file capabilities and a smoke command) or
 * `catalogue/<tool>/<version>/Dockerfile` whose base is a bootstrapped image
 * (`FROM islet/base:<suite>`). Reading a recipe touches only the filesystem.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { IsletError } from '../core/islet-error.ts';
import { sortVersions } from './version-sort.ts';

/** Tool and version names: directory names and image tags at once. */
export const toolPattern = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
export const versionPattern = /^[A-Za-z0-9][A-Za-z0-9_.~+-]{0,62}$/;
export const suitePattern = /^[a-z][a-z0-9-]{1,30}$/;

const capsPattern = /^cap_[a-z_]+(,cap_[a-z_]+)*[+=-][eip]+$/;

export const recipeSchema = z
  .object({
    suite: z.string().regex(suitePattern).describe('Debian suite of the base image (`islet image bootstrap --suite`).'),
    packages: z
      .array(z.string().regex(/^[a-z0-9][a-z0-9+.-]*(=[A-Za-z0-9.:~+-]+)?$/))
      .min(1)
      .describe('Debian packages, `name` or `name=<exact Debian version>`.'),
    capabilities: z
      .record(z.string().regex(/^(\/[A-Za-z0-9_./+-]+|[A-Za-z0-9_.+-]+)$/), z.string().regex(capsPattern))
      .default({})
      .describe(
        'File capabilities set with setcap instead of setuid root, `{program: "cap_net_raw,cap_net_admin+eip"}`; a program without a slash is looked up on PATH in the built image (tcpdump moved from /usr/sbin to /usr/bin between suites).',
      ),
    smoke: z.array(z.string().min(1)).min(1).optional().describe('A command proving the tool runs (exit 0), for the smoke tests.'),
    description: z.string().default(''),
  })
  .strict();

export type RecipeSpec = z.output<typeof recipeSchema>;

export interface Recipe {
  readonly tool: string;
  readonly version: string;
  readonly dir: string;
  /** `yaml` recipes are built by the catalogue's own builder, `dockerfile` ones by `docker build`. */
  readonly kind: 'yaml' | 'dockerfile';
  readonly suite: string;
  readonly spec?: RecipeSpec;
  /** sha256 of the recipe's files: the image label that makes a rebuild unnecessary. */
  readonly hash: string;
}

/** Image of a tool version: `islet/<tool>:<version>` (`~` and `+`, not allowed in tags, become `_`). */
export function imageName(tool: string, version: string): string {
  return `islet/${tool}:${version.replace(/[~+]/g, '_')}`;
}

/** `opennsm/<tool>:<version>` (ContainNSM's image names) as a catalogue reference; undefined for any other image. */
export function containnsmRef(image: string): { tool: string; version?: string } | undefined {
  const m = /^(?:docker\.io\/)?opennsm\/([a-z0-9][a-z0-9_.-]*)(?::([A-Za-z0-9_.+~-]+))?$/.exec(image);
  if (!m) return undefined;
  return m[2] === undefined || m[2] === 'latest' ? { tool: m[1]! } : { tool: m[1]!, version: m[2] };
}

export function baseImageName(suite: string): string {
  return `islet/base:${suite}`;
}

export function readRecipe(catalogueDir: string, tool: string, version: string): Recipe {
  if (!toolPattern.test(tool)) throw invalid(`tool name ${JSON.stringify(tool)} is not a valid name`);
  if (!versionPattern.test(version)) throw invalid(`version ${JSON.stringify(version)} is not a valid version`);
  const dir = join(catalogueDir, tool, version);
  const yamlPath = join(dir, 'recipe.yaml');
  const dockerfile = join(dir, 'Dockerfile');
  if (existsSync(yamlPath)) {
    const text = readFileSync(yamlPath, 'utf8');
    const parsed = recipeSchema.safeParse(parse(text));
    if (!parsed.success) throw invalid(`${yamlPath}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
    return { tool, version, dir, kind: 'yaml', suite: parsed.data.suite, spec: parsed.data, hash: hashOf(text) };
  }
  if (existsSync(dockerfile)) {
    const text = readFileSync(dockerfile, 'utf8');
    const from = /^\s*FROM\s+islet\/base:([a-z][a-z0-9-]+)\s*$/im.exec(text);
    if (!from) throw invalid(`${dockerfile}: the first FROM must name a bootstrapped base, \`FROM islet/base:<suite>\` (no registry is reachable)`);
    return { tool, version, dir, kind: 'dockerfile', suite: from[1]!, hash: hashOf(text) };
  }
  throw new IsletError('CATALOGUE_NOT_FOUND', `${tool}/${version} is not in the catalogue.`, `no recipe.yaml or Dockerfile in ${dir}`, { tool, version });
}

/** Every recipe in the catalogue (of one tool when given), versions sorted as versions. */
export function listRecipes(catalogueDir: string, tool?: string): Recipe[] {
  const tools =
    tool !== undefined
      ? [tool]
      : subdirs(catalogueDir)
          .filter((t) => toolPattern.test(t))
          .sort();
  if (tool !== undefined && !existsSync(join(catalogueDir, tool)))
    throw new IsletError('CATALOGUE_NOT_FOUND', `${tool} is not in the catalogue.`, `no directory ${join(catalogueDir, tool)}`, { tool });
  const out: Recipe[] = [];
  for (const t of tools) {
    const versions = subdirs(join(catalogueDir, t)).filter((v) => versionPattern.test(v));
    out.push(...sortVersions(versions, (v) => v).map((v) => readRecipe(catalogueDir, t, v)));
  }
  return out;
}

/** `<tool>`, `<tool>/<version>` or `<tool>:<version>`. */
export function parseToolRef(ref: string): { tool: string; version?: string } {
  const m = /^([^/:]+)(?:[/:](.+))?$/.exec(ref);
  if (!m || !toolPattern.test(m[1]!) || (m[2] !== undefined && !versionPattern.test(m[2])))
    throw invalid(`expected <tool>[/<version>], got ${JSON.stringify(ref)}`);
  return m[2] === undefined ? { tool: m[1]! } : { tool: m[1]!, version: m[2] };
}

function subdirs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => {
    try {
      return statSync(join(dir, n)).isDirectory();
    } catch {
      return false;
    }
  });
}

/** The build steps are part of what an image was made from: bump when builder.ts changes what it does. */
export const BUILDER_REVISION = '2';

function hashOf(text: string): string {
  return createHash('sha256').update(`${BUILDER_REVISION}\n${text}`).digest('hex').slice(0, 32);
}

export function invalid(msg: string): IsletError {
  return new IsletError('CATALOGUE_INVALID', msg, msg);
}
