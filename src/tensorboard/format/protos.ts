// src/tensorboard/format/: the bytes on disk shared by write/ and read/ (protos and their decoded
// shapes, CRC, record framing, file names, HParams plugin shapes); imports no other folder.
// Loads the .proto subsets in ./proto with protobufjs; every message we write is encoded here.
import protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';

const protoDir = fileURLToPath(new URL('./proto/', import.meta.url));
const root = new protobuf.Root();
root.loadSync(
  ['event.proto', 'hparams.proto'].map((f) => protoDir + f),
  { keepCase: true },
);
root.resolveAll();

export const EventMessage = root.lookupType('tensorboard.Event');
export const SummaryValueMessage = root.lookupType('tensorboard.Summary.Value');
export const HParamsPluginDataMessage = root.lookupType('tensorboard.hparams.HParamsPluginData');

export const DT = {
  FLOAT: 1,
  DOUBLE: 2,
  INT32: 3,
  UINT8: 4,
  INT16: 5,
  INT8: 6,
  STRING: 7,
  INT64: 9,
  BOOL: 10,
  BFLOAT16: 14,
  UINT16: 17,
  HALF: 19,
  UINT32: 22,
  UINT64: 23,
} as const;

export const DataClass = { UNKNOWN: 0, SCALAR: 1, TENSOR: 2, BLOB_SEQUENCE: 3 } as const;

/** protobufjs decodes int64 as Long when long.js is installed; everything we expose is a number. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof (v as { toNumber?: unknown }).toNumber === 'function')
    return (v as { toNumber(): number }).toNumber();
  return Number(v ?? 0);
}
