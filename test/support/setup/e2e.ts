// E2E tests run whole uploads (and a worker crash) through real processes.
jest.setTimeout(300_000);
