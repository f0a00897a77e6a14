import type { RunRecord } from '../run/record.ts';

/**
 * Estimated training compute: 2 FLOPs per multiply-add forward, ×3 (forward + backward) through what
 * is trained. With cached features, each image goes once through the base, and training runs the head.
 * Partly frozen bases: the trained share of the base is estimated by its share of trainable parameters.
 * Needs the record's macsPerImage, baseMacsPerImage, dataset and planned epochs.
 */
export function computeCosts(
  record: Pick<RunRecord, 'macsPerImage' | 'baseMacsPerImage' | 'dataset' | 'epochs'>,
  cached: boolean,
  baseTrainable: number,
  baseTotal: number,
) {
  const macs = record.macsPerImage ?? 0;
  const baseMacs = record.baseMacsPerImage ?? 0;
  const headMacs = Math.max(0, macs - baseMacs);
  const evalImages = (record.dataset?.validation ?? 0) * (record.epochs.planned ?? 0) + (record.dataset?.test ?? 0);
  const featureImages = (record.dataset?.train ?? 0) + (record.dataset?.validation ?? 0) + (record.dataset?.test ?? 0);
  const trainedShare = baseTotal > 0 ? baseTrainable / baseTotal : 0;
  const perTrainedImage = cached
    ? 6 * headMacs
    : 2 * baseMacs * (1 - trainedShare) + 6 * baseMacs * trainedShare + 6 * headMacs;
  return (trainImages: number, phases: RunRecord['phases']): RunRecord['compute'] => ({
    trainImages,
    flops: Math.round(
      trainImages * perTrainedImage +
        (cached ? featureImages * 2 * baseMacs + evalImages * 2 * headMacs : evalImages * 2 * macs),
    ),
    seconds: phases.features + phases.train + phases.evaluate,
  });
}
