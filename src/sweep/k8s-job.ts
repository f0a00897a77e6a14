// `--emit k8s`: the sweep as a Kubernetes Indexed Job, for clusters without Redis. Pod i runs
// trial i of the plan (`--trial-index $(JOB_COMPLETION_INDEX)`) against the logdir on a shared
// volume; a pod stopped by Kubernetes checkpoints on SIGTERM and its replacement resumes the run.
import { stringify as toYaml } from 'yaml';
import type { Trial } from './expand.ts';

export interface K8sJobOptions {
  sweep: string;
  /** The sweep as the CLI takes it inside the image (a name in experiments/sweeps/ or a path). */
  sweepArgument: string;
  image: string;
  /** PersistentVolumeClaim holding the logdir (and the download and feature cache), ReadWriteMany. */
  claim: string;
  parallelism: number;
  cpu: number;
  memory: string;
  /** Retries of one trial (pods that fail; a checkpointed stop does not count). */
  retriesPerTrial: number;
}

const LOGDIR = '/transfer-lab/logs';
const CACHE = '/transfer-lab/cache';
/** The project's root inside the image (its Dockerfile's WORKDIR). */
const WORKDIR = '/app';
const CONTAINER = 'trial';
/** Exit codes of the sweep CLI running one trial: 2 = bad definition (never retry), 130 = stopped with a checkpoint. */
const EXIT_USAGE = 2;
const EXIT_INTERRUPTED = 130;

/** Kubernetes object names: lower-case DNS labels. */
export function k8sName(sweep: string): string {
  const name = `sweep-${sweep.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`.replace(/-+$/, '').slice(0, 52);
  return name.replace(/-+$/, '');
}

export function k8sIndexedJob(trials: Trial[], options: K8sJobOptions): Record<string, unknown> {
  const labels = {
    'app.kubernetes.io/name': 'transfer-lab',
    'transfer-lab/sweep': k8sName(options.sweep).slice('sweep-'.length),
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: k8sName(options.sweep), labels },
    spec: {
      completionMode: 'Indexed',
      completions: trials.length,
      parallelism: Math.min(options.parallelism, trials.length),
      backoffLimitPerIndex: options.retriesPerTrial,
      podFailurePolicy: {
        rules: [
          { action: 'FailIndex', onExitCodes: { containerName: CONTAINER, operator: 'In', values: [EXIT_USAGE] } },
          { action: 'Ignore', onExitCodes: { containerName: CONTAINER, operator: 'In', values: [EXIT_INTERRUPTED] } },
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        ],
      },
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          // Time for the running step to finish and the checkpoint to be written after SIGTERM.
          terminationGracePeriodSeconds: 300,
          containers: [
            {
              name: CONTAINER,
              image: options.image,
              workingDir: WORKDIR,
              // node directly (not npm), so SIGTERM reaches the sweep CLI, which forwards it to the trial.
              command: ['node', '--import', 'tsx', 'src/cli/sweep.ts'],
              args: [
                options.sweepArgument,
                '--trial-index',
                '$(JOB_COMPLETION_INDEX)',
                '--logdir',
                LOGDIR,
                '--threads',
                String(options.cpu),
              ],
              env: [
                { name: 'TRANSFERLAB_CACHE_DIR', value: CACHE },
                // The pod checks that its trial is the one this manifest was written for.
                { name: 'TRANSFERLAB_SWEEP_TRIAL_IDS', value: trials.map((t) => t.id).join(',') },
              ],
              resources: {
                requests: { cpu: String(options.cpu), memory: options.memory },
                limits: { memory: options.memory },
              },
              volumeMounts: [
                { name: 'shared', mountPath: LOGDIR, subPath: 'logs' },
                { name: 'shared', mountPath: CACHE, subPath: 'cache' },
              ],
            },
          ],
          volumes: [{ name: 'shared', persistentVolumeClaim: { claimName: options.claim } }],
        },
      },
    },
  };
}

export function k8sManifest(trials: Trial[], options: K8sJobOptions): string {
  return `# ${options.sweep}: ${trials.length} trials as a Kubernetes Indexed Job (npm run sweep -- ${options.sweepArgument} --emit k8s)\n${toYaml(k8sIndexedJob(trials, options))}`;
}
