import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResumeStore, stateFile } from '../../cli/resume-store';

describe('the CLI state file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'intake-cli-state-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // It names the user's files (full paths) and uploads: nobody else on the machine reads it.
  it('is readable by its owner only, its folder too', () => {
    const file = stateFile({ INTAKE_STATE_DIR: join(dir, 'state') });
    const upload = join(dir, 'holiday.mov');
    writeFileSync(upload, 'x');
    const store = new ResumeStore(file);
    store.remember(upload, 'https://intake.example.com', { uploadId: '3f6c1e2a-8d4b-4c1e-9a57-2b8f0d6e4c11', partSize: 5 * 1024 * 1024 });
    expect(store.find(upload, 'https://intake.example.com')?.uploadId).toBe('3f6c1e2a-8d4b-4c1e-9a57-2b8f0d6e4c11');
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(join(dir, 'state')).mode & 0o777).toString(8)).toBe('700');
  });
});
