import { CAFFE_MEAN_BGR, TORCH_MEAN, TORCH_STD, type PreprocessMode } from '../../data/index.ts';
import type { OnnxGraph } from './graph.ts';

/**
 * Keras `preprocess_input` on an NHWC float input in 0..255, as the same operations in the same
 * order as src/data/preprocess.ts (so values round alike): torch x/255 − mean, / std; tf x/127.5 − 1;
 * caffe RGB→BGR, − the BGR mean.
 */
export function preprocessNodes(graph: OnnxGraph, x: string, mode: PreprocessMode): string {
  const c = (hint: string, values: number[]): string =>
    graph.float(`preprocess/${hint}`, Float32Array.from(values), values.length === 1 ? [] : [values.length]);
  switch (mode) {
    case 'none':
      return x;
    case 'torch': {
      const scaled = graph.node('Div', [x, c('255', [255])], 'preprocess');
      return graph.node(
        'Div',
        [graph.node('Sub', [scaled, c('mean', TORCH_MEAN)], 'preprocess'), c('std', TORCH_STD)],
        'preprocess',
      );
    }
    case 'tf':
      return graph.node('Sub', [graph.node('Div', [x, c('127.5', [127.5])], 'preprocess'), c('1', [1])], 'preprocess');
    case 'caffe': {
      const bgr = graph.node('Gather', [x, graph.int64([2, 1, 0])], 'preprocess', { axis: 3 });
      return graph.node('Sub', [bgr, c('mean_bgr', CAFFE_MEAN_BGR)], 'preprocess');
    }
  }
}
