// Whether a definition's weights are on this machine, said before a run would need them (--dry-run):
// found where the run looks, or missing — and then whether the download a run starts with can reach
// its source from here (offline, the run would fail).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ExperimentDefinition } from '../experiment/definition.ts';
import { kerasWeightsFile, resolveWeights } from '../models/weights/imagenet.ts';
import { MOBILENET_V1_NAME, MOBILENET_V1_URL, resolvePretrainedMobileNetV1 } from '../models/weights/tfjs-layers.ts';

const PROBE_MS = 3000;

interface WeightsPlaces {
  weightsDir: string;
  modelsDir: string;
  /** Tests point it at a server of theirs (default: the global fetch). */
  fetchImpl?: typeof fetch;
}

/** One line on the definition's weights: "weights: …" when present, "weights missing: …" otherwise. */
export async function weightsStatus(def: ExperimentDefinition, where: WeightsPlaces): Promise<string> {
  const m = def.model;
  if (m.weights === 'none') return 'weights: none (random initial weights)';
  if (m.weights.startsWith('pretrained:')) {
    if (m.weights !== `pretrained:${MOBILENET_V1_NAME}`) return `weights missing: no pretrained model ${m.weights}`;
    const found = await located(() => resolvePretrainedMobileNetV1({ modelsDir: where.modelsDir, download: false }));
    return found.path !== null
      ? `weights: ${m.weights} in ${found.path}`
      : `${found.problem}; ${await reachability(MOBILENET_V1_URL, where.fetchImpl)}`;
  }
  if (m.weights === 'imagenet') {
    const spec = { name: m.base, ...(m.alpha === undefined ? {} : { alpha: m.alpha }), inputSize: m.inputSize };
    const found = await located(() => resolveWeights(spec, { weightsDir: where.weightsDir, download: false }));
    return found.path !== null
      ? `weights: imagenet in ${found.path}`
      : `${found.problem}; ${await reachability(kerasWeightsFile(spec).url, where.fetchImpl)}`;
  }
  const path = resolve(m.weights);
  return existsSync(path) ? `weights: ${path}` : `weights missing: ${path} not found (model.weights)`;
}

/** The path the run would load, or why it is not there (the resolver's own one-line message). */
async function located(find: () => Promise<string>): Promise<{ path: string } | { path: null; problem: string }> {
  try {
    return { path: await find() };
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).replace(/ and downloads are off/, '');
    return { path: null, problem: `weights missing: ${message}` };
  }
}

/** Whether the download a run would start can reach `url` now (a HEAD request, a few seconds at most). */
async function reachability(url: string, fetchImpl: typeof fetch = fetch): Promise<string> {
  try {
    const response = await fetchImpl(url, { method: 'HEAD', signal: AbortSignal.timeout(PROBE_MS) });
    if (response.ok) return `a run downloads them first from ${url}`;
    return `${url} answers HTTP ${response.status}: a run would fail to download them`;
  } catch (error) {
    const reason = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : error;
    return `${url} is unreachable from here (${String(reason)}): offline, a run would fail`;
  }
}
