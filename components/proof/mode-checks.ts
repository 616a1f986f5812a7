/**
 * Which lab checks judge the ordinary capture on each encryption mode, and what evidence is reported next
 * to the verdict: on ipsec and wireguard the agents' encrypt status per node (and on ipsec the key ids
 * they carried when the capture started); on wireguard the correlation that stands in for decryption.
 */
import type { Report } from '../verifier';
import type { LabConfig } from '../config';
import { agentEvidence, agentsCheck, keyIdCheck, type AgentEvidence, type IpsecReadiness } from './agents';
import type { NodeFacts } from './facts';
import { wireguardChecks, wireguardCorrelation, type WireguardCorrelation, type WireguardExpectations } from './judge-wireguard';
import type { TrafficResult } from './parse';
import { LAB_CHECKS, type Expectations, type LabCheck, type VerificationResult } from './verification';

export function modeChecks(
  cfg: Pick<LabConfig, 'encryption' | 'ipsecKeyId'>,
  nodes: Pick<NodeFacts, 'name' | 'ip'>[],
  pods: { clientNode: string; serverNode: string },
  traffic: TrafficResult | undefined,
  readiness: Record<string, IpsecReadiness>,
  readinessExpected: boolean,
): { checks?: LabCheck[]; wireguard?: WireguardExpectations } {
  switch (cfg.encryption) {
    case 'none':
      return {};
    case 'ipsec':
      return { checks: [...LAB_CHECKS, agentsCheck(readiness, readinessExpected), ...(readinessExpected ? [keyIdCheck(readiness, cfg.ipsecKeyId)] : [])] };
    case 'wireguard': {
      const ipOf = (n: string) => nodes.find((f) => f.name === n)?.ip ?? '';
      const w: WireguardExpectations = {
        nodeIps: nodes.map((f) => f.ip),
        clientNodeIp: ipOf(pods.clientNode),
        serverNodeIp: ipOf(pods.serverNode),
        traffic,
        expectedPeers: nodes.length - 1,
      };
      return { checks: wireguardChecks(w), wireguard: w };
    }
  }
}

export type ModeVerificationResult = VerificationResult & { agents?: AgentEvidence[]; wireguardCorrelation?: WireguardCorrelation };

export function withModeEvidence(
  result: VerificationResult,
  encryption: LabConfig['encryption'],
  x: Expectations,
  w: WireguardExpectations | undefined,
  readiness: Record<string, IpsecReadiness>,
): ModeVerificationResult {
  if (encryption === 'none') return result;
  const out: ModeVerificationResult = { ...result, agents: agentEvidence(x.agents ?? {}, readiness) };
  if (w && result.esp !== undefined) {
    const c = wireguardCorrelation(result as unknown as Report, w);
    if (c) out.wireguardCorrelation = c;
  }
  return out;
}
