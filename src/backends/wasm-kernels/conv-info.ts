import * as tf from '@tensorflow/tfjs';

/** The geometry of the forward convolution a gradient kernel differentiates (NHWC, dilation 1). */
export interface ForwardConv {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

export function forwardConv(
  inShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  depthwise: boolean,
  what: string,
  dataFormat?: string,
  dilations?: number | [number, number],
): ForwardConv {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`${what} (wasm training kernels): dataFormat ${dataFormat} is not supported; use NHWC`);
  }
  const d = dilations ?? 1;
  if ((typeof d === 'number' ? d : Math.max(d[0], d[1])) !== 1) {
    throw new Error(`${what} (wasm training kernels): dilations ${String(d)} are not supported`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    depthwise,
  );
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** Pads/crops x to exactly the rows and columns the forward convolution read. */
export function readRegion(c: ForwardConv): { rows: [number, number]; cols: [number, number] } {
  const usedH = (c.outHeight - 1) * c.strideHeight + c.filterHeight;
  const usedW = (c.outWidth - 1) * c.strideWidth + c.filterWidth;
  return {
    rows: [c.padTop, usedH - c.padTop - c.inHeight],
    cols: [c.padLeft, usedW - c.padLeft - c.inWidth],
  };
}

/** The padding that turns the zero-inserted dy into the input of a stride-1 valid convolution. */
export function fullConvPadding(c: ForwardConv): { rows: [number, number]; cols: [number, number] } {
  const dilatedH = (c.outHeight - 1) * c.strideHeight + 1;
  const dilatedW = (c.outWidth - 1) * c.strideWidth + 1;
  const top = c.filterHeight - 1 - c.padTop;
  const left = c.filterWidth - 1 - c.padLeft;
  return {
    rows: [top, c.inHeight + c.filterHeight - 1 - top - dilatedH],
    cols: [left, c.inWidth + c.filterWidth - 1 - left - dilatedW],
  };
}
