import { ApplicationFailure } from '@temporalio/common';

/** Runs `work`, expecting the non-retryable rejection an activity throws for a bad file. */
export async function expectRejection(work: Promise<unknown>, code: string): Promise<ApplicationFailure> {
  const err = await work.then(
    () => {
      throw new Error(`expected a ${code} rejection, but the activity succeeded`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  const failure = err as ApplicationFailure;
  expect({ type: failure.type, nonRetryable: failure.nonRetryable }).toEqual({ type: code, nonRetryable: true });
  return failure;
}
