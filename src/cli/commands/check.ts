/**
 * `islet check`: validates every config file, the engine and the images, and
 * exits with the Nagios convention (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN),
 * as the original's check_islet.sh did. `--effective <environment>` prints
 * instead what a trainee's container of that environment gets, and from where.
 */
import { generatorImages } from '../../catalogue/lab-requirements.ts';
import { existsSync } from 'node:fs';
import { loadConfigDir } from '../../config/config-source.ts';
import { formatIssue } from '../../config/config-issue.ts';
import { engineDriver } from '../../compose.ts';
import { optionValue } from '../options.ts';
import { printEffective, weakCapDropWarning } from './effective-settings.ts';
import { cryptoBinding, cryptoBindingRemedy } from '../../sshd/crypto-binding.ts';

export async function check(flags: Record<string, string | boolean | undefined>): Promise<number> {
  const dir = optionValue('config', flags);
  if (!existsSync(dir)) {
    console.log(`UNKNOWN: config directory ${dir} does not exist`);
    return 3;
  }
  const cfg = loadConfigDir(dir);
  if (typeof flags.effective === 'string') return printEffective(cfg, flags.effective, flags.json === true);
  const lines = cfg.issues.map(formatIssue);
  let critical = cfg.issues.filter((i) => i.severity === 'critical').length;
  let warnings = cfg.issues.length - critical;
  for (const w of cfg.environments.map(weakCapDropWarning))
    if (w) {
      warnings++;
      lines.push(w);
    }
  // ssh2 falls back to JavaScript crypto silently when its addon was built for another Node.
  const crypto = cryptoBinding();
  if (crypto.binding !== 'native') {
    warnings++;
    lines.push(
      `ssh2: warning: its native crypto binding does not load under Node ${crypto.node} (${crypto.reason}); every byte is encrypted by the slower JavaScript fallback; ${cryptoBindingRemedy} [SSH_CRYPTO_FALLBACK]`,
    );
  }
  if (!flags['no-engine']) {
    const driver = engineDriver({ callTimeoutMs: 5000 }, cfg.global.runtime);
    for (const env of cfg.environments.filter((e) => e.enabled)) {
      try {
        const present = await driver.hasImage(env.image);
        const build = env.program ? `; build it with: islet image build ${env.program}/${env.version}` : '';
        if (!present) {
          critical++;
          lines.push(`${env.source}: critical: image: image ${env.image} of environment "${env.name}" is not on the engine${build} [IMAGE_MISSING]`);
        }
        if (env.lab_network && !(await anyPresent(driver, generatorImages()))) {
          critical++;
          lines.push(`${env.source}: critical: lab_network: no traffic generator image is built; build it with: islet image build tcpreplay [IMAGE_MISSING]`);
        }
      } catch (err) {
        critical++;
        lines.push(`docker: critical: the engine did not answer: ${(err as Error).message} [RUNTIME_UNAVAILABLE]`);
        break;
      }
    }
  }
  for (const l of lines) console.log(l);
  const summary = `${cfg.environments.filter((e) => e.enabled).length} environment(s), ${cfg.plugins.length} plugin(s), ${critical} critical, ${warnings} warning(s)`;
  if (critical > 0) {
    console.log(`CRITICAL: ${summary}`);
    return 2;
  }
  if (warnings > 0) {
    console.log(`WARNING: ${summary}`);
    return 1;
  }
  console.log(`OK: ${summary}`);
  return 0;
}

async function anyPresent(driver: { hasImage: (image: string) => Promise<boolean> }, images: readonly string[]): Promise<boolean> {
  for (const i of images) if (await driver.hasImage(i)) return true;
  return false;
}
