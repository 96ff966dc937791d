import { bundleWorkflowCode, WorkerOptions } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from '../config/config';

/** The one way workflows are bundled: every workflow type, with the (self-gating) tracing interceptors. */
export async function bundleWorkflows(): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    workflowInterceptorModules: [require.resolve('../../workflows/tracing-interceptors')],
  });
  return code;
}

/** Production loads the bundle built by `npm run build`; without it the worker bundles once at start. */
export async function workflowSource(config: AppConfig): Promise<Pick<WorkerOptions, 'workflowBundle'>> {
  const bundle = config.WORKFLOW_BUNDLE_PATH ?? join(__dirname, '..', '..', 'workflow-bundle.js');
  if (existsSync(bundle)) return { workflowBundle: { codePath: bundle } };
  return { workflowBundle: { code: await bundleWorkflows() } };
}
