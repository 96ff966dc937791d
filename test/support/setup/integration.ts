// Integration tests talk to real services: allow them time.
jest.setTimeout(60_000);
