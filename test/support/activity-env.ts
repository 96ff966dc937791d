import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';

/** An activity context without a server, logging only warnings so test output stays readable. */
export function activityEnv(): MockActivityEnvironment {
  return new MockActivityEnvironment(undefined, { logger: new DefaultLogger('WARN') });
}

export function runActivity<A, R>(fn: (arg: A) => Promise<R>, arg: A): Promise<R> {
  return activityEnv().run(fn, arg);
}
