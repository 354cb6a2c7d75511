/**
 * `islet image …`: ContainNSM's image verbs over the catalogue (src/catalogue/).
 *   bootstrap [--suite S]… [--force]   base images from Debian's archive
 *   ls [<tool>] [--json]               built and buildable images, versions sorted as versions
 *   build <tool>[/<version>]… | --all [--jobs N] [--force]
 *   new <tool>/<version> [--suite S] [--package P]…   writes a recipe template
 *   rm <tool>[/<version>]…             removes built images (the recipes stay)
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { IsletError } from '../../core/islet-error.ts';
import { LABEL_RECIPE } from '../../runtime/names.ts';
import { bootstrap } from '../../catalogue/bootstrap.ts';
import { buildMany } from '../../catalogue/builder.ts';
import { docker, inspectImages } from '../../catalogue/docker-cli.ts';
import { cachePaths, catalogueDir, ensureDataDir } from '../../catalogue/paths.ts';
import { imageName, invalid, listRecipes, parseToolRef, readRecipe, suitePattern, type Recipe } from '../../catalogue/recipe.ts';
import { optionValue } from '../options.ts';

const USAGE = `usage: islet image bootstrap [--suite <suite>]… [--force]
       islet image ls [<tool>] [--json]
       islet image build <tool>[/<version>]… | --all [--jobs N] [--force]
       islet image new <tool>/<version> [--suite <suite>] [--package <pkg>[=<version>]]…
       islet image rm <tool>[/<version>]…
options: --data DIR (ISLET_DATA) holds the download caches; ISLET_CATALOGUE names the catalogue directory`;

export const IMAGE_HELP = 'Catalogue images (ContainNSM): bootstrap Debian bases, ls, build, new, rm (islet image --help)';

const log = (l: string): void => {
  process.stderr.write(`${l}\n`);
};

export async function imageCommand(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === '--help' || verb === '-h') {
    console.log(USAGE);
    return 0;
  }
  const { values: f, positionals: args } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: {
      suite: { type: 'string', multiple: true },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
      all: { type: 'boolean' },
      jobs: { type: 'string' },
      package: { type: 'string', multiple: true },
      data: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (f.help || verb === undefined || verb === 'help') {
    console.log(USAGE);
    return verb === undefined ? 3 : 0;
  }
  const cat = catalogueDir();
  const cache = cachePaths(ensureDataDir(optionValue('data', { data: f.data })));
  switch (verb) {
    case 'bootstrap': {
      const suites = f.suite ?? ['bookworm'];
      for (const s of suites) {
        const r = await bootstrap({ suite: s, cache, force: f.force === true, log });
        console.log(`${r.image}  ${r.action}  ${r.seconds} s`);
      }
      return 0;
    }
    case 'ls':
      return ls(cat, args[0], f.json === true);
    case 'build': {
      const recipes = f.all ? listRecipes(cat) : args.flatMap((a) => selectRecipes(cat, a));
      if (recipes.length === 0) throw invalid('name a tool (`islet image build tcpdump`, `tcpdump/4.99.3`) or use --all');
      const jobs = f.jobs === undefined ? 1 : Number(f.jobs);
      if (!Number.isInteger(jobs) || jobs < 1 || jobs > 16) throw invalid(`--jobs: expected 1..16, got ${f.jobs}`);
      const results = await buildMany(recipes, jobs, { cache, force: f.force === true, log });
      let failed = 0;
      for (const r of results) {
        if (r.error) failed++;
        console.log(
          `${`${r.recipe.tool}/${r.recipe.version}`.padEnd(40)} ${r.error ? `FAILED [${r.error.code}] ${r.error.message.split('\n')[0]}` : `${r.result!.action} ${r.result!.seconds} s  ${r.result!.image}`}`,
        );
      }
      return failed > 0 ? 1 : 0;
    }
    case 'new':
      return newRecipe(cat, args[0], f.suite?.[0] ?? 'bookworm', f.package);
    case 'rm': {
      if (args.length === 0) throw invalid('name what to remove: islet image rm <tool>[/<version>]');
      const names = args.flatMap((a) => selectRecipes(cat, a)).map((r) => imageName(r.tool, r.version));
      const present = await inspectImages(names);
      for (const n of names) {
        if (!present.has(n)) {
          console.log(`${n}  not built`);
          continue;
        }
        const r = await docker(['image', 'rm', n], { timeoutMs: 120_000 });
        console.log(`${n}  ${r.code === 0 ? 'removed' : `not removed: ${r.stderr.trim()}`}`);
        if (r.code !== 0) return 1;
      }
      return 0;
    }
    default:
      console.error(USAGE);
      return 3;
  }
}

/** `tool` (every version) or `tool/version`. */
export function selectRecipes(cat: string, ref: string): Recipe[] {
  const { tool, version } = parseToolRef(ref);
  return version === undefined ? listRecipes(cat, tool) : [readRecipe(cat, tool, version)];
}

export interface ImageRow {
  tool: string;
  version: string;
  suite: string;
  image: string;
  built: boolean;
  current: boolean;
  size?: number;
  packages: readonly string[];
}

export async function imageRows(cat: string, tool?: string): Promise<ImageRow[]> {
  const recipes = listRecipes(cat, tool);
  const found = await inspectImages(recipes.map((r) => imageName(r.tool, r.version)));
  return recipes.map((r) => {
    const img = found.get(imageName(r.tool, r.version));
    return {
      tool: r.tool,
      version: r.version,
      suite: r.suite,
      image: imageName(r.tool, r.version),
      built: img !== undefined,
      current: img?.labels[LABEL_RECIPE] === r.hash,
      ...(img ? { size: img.size } : {}),
      packages: r.spec?.packages ?? [],
    };
  });
}

async function ls(cat: string, tool: string | undefined, json: boolean): Promise<number> {
  const rows = await imageRows(cat, tool);
  if (json) {
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  }
  console.log(`${'TOOL'.padEnd(14)} ${'VERSION'.padEnd(28)} ${'SUITE'.padEnd(9)} ${'STATE'.padEnd(9)} ${'SIZE'.padStart(8)}  IMAGE`);
  for (const r of rows) {
    const state = !r.built ? 'buildable' : r.current ? 'built' : 'outdated';
    console.log(
      `${r.tool.padEnd(14)} ${r.version.padEnd(28)} ${r.suite.padEnd(9)} ${state.padEnd(9)} ${(r.size === undefined ? '-' : `${(r.size / 1e6).toFixed(0)} MB`).padStart(8)}  ${r.image}`,
    );
  }
  return 0;
}

function newRecipe(cat: string, ref: string | undefined, suite: string, packages: string[] | undefined): number {
  const { tool, version } = parseToolRef(ref ?? '');
  if (version === undefined) throw invalid('islet image new needs <tool>/<version>');
  if (!suitePattern.test(suite)) throw invalid(`invalid suite ${JSON.stringify(suite)}`);
  const dir = join(cat, tool, version);
  if (existsSync(dir)) throw new IsletError('CATALOGUE_INVALID', `${tool}/${version} already exists in the catalogue (${dir}).`);
  mkdirSync(dir, { recursive: true });
  const pkgs = packages && packages.length > 0 ? packages : [tool];
  writeFileSync(
    join(dir, 'recipe.yaml'),
    [
      `# ${tool} ${version}: pin exact Debian versions (apt-cache madison ${pkgs[0]!.split('=')[0]}) so a rebuild gives the same image.`,
      `description: ''`,
      `suite: ${suite}`,
      'packages:',
      ...pkgs.map((p) => `  - ${p}`),
      '# File capabilities instead of setuid root, for tools that capture live traffic:',
      `# capabilities:`,
      `#   ${tool}: cap_net_raw,cap_net_admin+eip`,
      `smoke: [${tool}, --version]`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'README.md'), `# ${tool} ${version}\n\nBuilt from Debian ${suite}. Build: \`islet image build ${tool}/${version}\`.\n`);
  console.log(`wrote ${join(dir, 'recipe.yaml')}; build it with: islet image build ${tool}/${version}`);
  return 0;
}
