import { readFile } from 'node:fs/promises';

/** Label order of CIFAR-10 (as in batches.meta.txt). */
export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

export const NUM_CLASSES = CIFAR10_CLASSES.length;

/** Class names from batches.meta.txt: one per line, blank lines ignored; exactly ten. */
export async function readClassNames(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(
      `${path}: cannot read class names (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      { cause: err },
    );
  }
  const names = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (names.length !== NUM_CLASSES) {
    throw new Error(`${path}: expected ${NUM_CLASSES} class names, found ${names.length}`);
  }
  return names;
}
