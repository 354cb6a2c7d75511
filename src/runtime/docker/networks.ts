/**
 * ISLET's own bridge network for `network: bridge` environments: created on
 * first use with inter-container traffic disabled (enable_icc=false), so
 * trainees reach the outside but not each other. Its subnet is reported so
 * the SSH front door can refuse connections from trainee containers.
 */
import { statusOf, type EngineClient } from './engine-client.ts';
import { LABEL_MANAGED } from '../names.ts';

interface NetworkJson {
  Id: string;
  IPAM?: { Config?: { Subnet?: string }[] | null };
}

export async function ensureBridgeNetwork(
  engine: EngineClient,
  name: string,
  labels: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<{ id: string; subnets: string[] }> {
  const inspect = () => engine.json<NetworkJson>({ op: 'network-inspect', method: 'GET', path: `/networks/${encodeURIComponent(name)}`, timeoutMs });
  let net: NetworkJson;
  try {
    net = await inspect();
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
    try {
      await engine.json({
        op: 'network-create',
        method: 'POST',
        path: '/networks/create',
        timeoutMs,
        body: {
          Name: name,
          Driver: 'bridge',
          CheckDuplicate: true,
          Internal: false,
          Options: { 'com.docker.network.bridge.enable_icc': 'false' },
          Labels: { [LABEL_MANAGED]: 'true', ...labels },
        },
      });
    } catch (e) {
      if (statusOf(e) !== 409) throw e;
    } // another ISLET process made it first
    net = await inspect();
  }
  return { id: net.Id, subnets: (net.IPAM?.Config ?? []).flatMap((c) => (c.Subnet ? [c.Subnet] : [])) };
}
