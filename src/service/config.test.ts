import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BOUNDS, dbPath, endpointUrl, envPositiveInt, memoryLimit, missingDatabase, retentionDays, sourceList, sourcesIn, wholeNumberProblem } from './config';
import { distinctSources } from './ingest';

describe('envPositiveInt: a TRAILHOUND_* variable held to its flag’s rule and bound', () => {
  const name = 'TRAILHOUND_TEST_INTERVAL';
  afterEach(() => delete process.env[name]);

  test('a whole number, 1 or more', () => {
    process.env[name] = '30';
    expect(envPositiveInt('TEST_INTERVAL', BOUNDS.pollSeconds)).toBe(30);
  });

  test('unset or empty is the default (undefined)', () => {
    expect(envPositiveInt('TEST_INTERVAL', BOUNDS.pollSeconds)).toBeUndefined();
    process.env[name] = '';
    expect(envPositiveInt('TEST_INTERVAL', BOUNDS.pollSeconds)).toBeUndefined();
  });

  // Number() read the hex, binary and exponent forms, Infinity, and the padded one as numbers.
  test.each(['0', '-5', '1.5', 'soon', ' ', '0x10', '0b1', '0o7', '1e3', 'Infinity', ' 5 ', '+5', '5.0'])('%j is refused, naming the variable', (value) => {
    process.env[name] = value;
    const expected = 'expected a whole number, 1 or more, in decimal digits (or unset it for the default)';
    expect(() => envPositiveInt('TEST_INTERVAL', BOUNDS.pollSeconds)).toThrow(`TRAILHOUND_TEST_INTERVAL=${value}: ${expected}`);
  });

  test('a variable past its bound is refused, naming it, its value as given, and the range', () => {
    process.env[name] = '86400';
    expect(envPositiveInt('TEST_INTERVAL', BOUNDS.pollSeconds)).toBe(86_400);
    process.env[name] = '86401';
    expect(() => envPositiveInt('TEST_INTERVAL', BOUNDS.pollSeconds)).toThrow(
      new Error(`TRAILHOUND_TEST_INTERVAL=86401: expected a whole number from 1 to 86400 (a day) (or unset it for the default)`)
    );
  });

  // Number() reads both as 9007199254740992, and 10^20 as 1e+20: the digits are compared, and an error quotes them as typed.
  test('past 2^53 nothing is rounded: the largest safe number is taken, the next refused', () => {
    expect(wholeNumberProblem('9007199254740991', BOUNDS.days)).toBeUndefined();
    expect(wholeNumberProblem('9007199254740993', BOUNDS.days)).toMatch(/^expected a whole number from 1 to 9007199254740991 \(/);
    expect(wholeNumberProblem('9007199254740992', BOUNDS.days)).toMatch(/^expected a whole number from 1 to 9007199254740991 \(/);
    process.env[name] = '99999999999999999999';
    expect(() => envPositiveInt('TEST_INTERVAL', BOUNDS.retentionDays)).toThrow(/^TRAILHOUND_TEST_INTERVAL=99999999999999999999: .* from 1 to 36500 /);
  });

  test('leading zeros are the number they write, and count against the bound as it', () => {
    expect(wholeNumberProblem('0050', BOUNDS.concurrency)).toBeUndefined();
    expect(wholeNumberProblem('00051', BOUNDS.concurrency)).toMatch(/^expected a whole number from 1 to 50 /);
    expect(wholeNumberProblem('000', BOUNDS.concurrency)).toBe('expected a whole number, 1 or more, in decimal digits');
  });

  // Number() reads both as whole numbers (10000 and 30): the digits after the point are not rounded away.
  test('a fraction is refused however many digits it has', () => {
    expect(wholeNumberProblem('10000.0000000000000001', BOUNDS.limit)).toBe('expected a whole number, 1 or more, in decimal digits');
    expect(wholeNumberProblem('30.0000000000000001', BOUNDS.peakWindow)).toBe('expected a whole number from 1 to 1440 (a day), or 0 for plain counts');
    expect(wholeNumberProblem('10.0', BOUNDS.limit)).toBe('expected a whole number, 1 or more, in decimal digits');
  });

  test('a bound that takes 0 takes it (and 00), and says so when refusing', () => {
    expect(wholeNumberProblem('0', BOUNDS.peakWindow)).toBeUndefined();
    expect(wholeNumberProblem('00', BOUNDS.peakWindow)).toBeUndefined();
    expect(wholeNumberProblem('1440', BOUNDS.peakWindow)).toBeUndefined();
    expect(wholeNumberProblem('1441', BOUNDS.peakWindow)).toBe('expected a whole number from 1 to 1440 (a day), or 0 for plain counts');
    expect(wholeNumberProblem('-5', BOUNDS.peakWindow)).toBe('expected a whole number from 1 to 1440 (a day), or 0 for plain counts');
    expect(wholeNumberProblem('10000', BOUNDS.limit)).toBeUndefined();
    expect(wholeNumberProblem('0', BOUNDS.limit)).toBe('expected a whole number, 1 or more, in decimal digits');
  });
});

describe('memoryLimit: TRAILHOUND_MEMORY_LIMIT is a size DuckDB takes, or a message naming the variable', () => {
  const name = 'TRAILHOUND_MEMORY_LIMIT';
  afterEach(() => delete process.env[name]);

  test('unset is the command’s default', () => {
    expect(memoryLimit('224MB')).toBe('224MB');
  });

  test.each(['512MB', '1.5GB', '500MiB', '2 GB', '1G', '1gb', '64KiB', '1TB'])('%j is passed on, and DuckDB takes it', async (value) => {
    process.env[name] = value;
    expect(memoryLimit('224MB')).toBe(value);
    const instance = await DuckDBInstance.create(':memory:', { memory_limit: value });
    instance.closeSync();
  });

  // DuckDB takes up to 2^64 bytes; past that its "Failed to set config" was said as the --db's fault.
  test.each(['1001TB', '99999999999999999999TB', '1000000000GB', '910TiB'])('%j is refused: at most 1000TB', (value) => {
    process.env[name] = value;
    expect(() => memoryLimit('224MB')).toThrow(new Error(`TRAILHOUND_MEMORY_LIMIT=${value}: at most 1000TB (or unset it for the default, 224MB)`));
  });

  test.each(['1000TB', '909TiB', '999999999999999B'])('%j, within 1000TB, is taken', async (value) => {
    process.env[name] = value;
    expect(memoryLimit('224MB')).toBe(value);
    const instance = await DuckDBInstance.create(':memory:', { memory_limit: value });
    instance.closeSync();
  });

  test.each(['512', 'lots', '80%', '-1', '1.5.5GB', '512Mi'])('%j is refused before DuckDB says only "Failed to set config"', (value) => {
    process.env[name] = value;
    expect(() => memoryLimit('224MB')).toThrow(`TRAILHOUND_MEMORY_LIMIT=${value}: expected a size with its unit, e.g. 512MB or 2GB`);
  });
});

describe('the sources serve reads', () => {
  afterEach(() => delete process.env.TRAILHOUND_SOURCE);

  test('each --source, else TRAILHOUND_SOURCE as a comma-separated list; none means the sample', () => {
    process.env.TRAILHOUND_SOURCE = ' s3://org-trail , ./logs,, ';
    expect(sourceList()).toEqual(['s3://org-trail', './logs']);
    expect(sourceList(['s3://a', 's3://b'])).toEqual(['s3://a', 's3://b']);
    // An empty flag (a script's unset variable) is no source: the sample, not the current folder.
    expect(sourceList([''])).toEqual([]);
    delete process.env.TRAILHOUND_SOURCE;
    expect(sourceList()).toEqual([]);
  });

  test('TRAILHOUND_SOURCE: a comma inside an S3 prefix, or inside the name of a folder that exists, is part of the name', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'trailhound-sources-'));
    try {
      for (const name of ['trail,2024', 'a', 'a,b', 'a,b,c', 'logs']) fs.mkdirSync(path.join(root, name));
      fs.writeFileSync(path.join(root, 'file,x'), '');
      const at = (name: string) => path.join(root, name);
      // Lists as they were written before read as they did.
      expect(sourcesIn('s3://a,s3://b')).toEqual(['s3://a', 's3://b']);
      expect(sourcesIn('./x,./y')).toEqual(['./x', './y']);
      expect(sourcesIn('logs,archive')).toEqual(['logs', 'archive']);
      expect(sourcesIn(`${at('logs')},${at('archive')}`)).toEqual([at('logs'), at('archive')]);
      expect(sourcesIn(`s3://a,${at('trail,2024')},../z,.`)).toEqual(['s3://a', at('trail,2024'), '../z', '.']);
      // A bucket's name has no comma; its prefix may.
      expect(sourcesIn('s3://a,logs')).toEqual(['s3://a', 'logs']);
      // Nor has a bucket written with its slash (s3://a/ is s3://a): a prefix does not start with a comma.
      expect(sourcesIn('s3://a/,logs, s3://b/ ,archive')).toEqual(['s3://a/', 'logs', ' s3://b/ ', 'archive']);
      expect(sourcesIn('s3://bucket/2024,eu/prod,s3://other/x,y')).toEqual(['s3://bucket/2024,eu/prod', 's3://other/x,y']);
      // A folder whose name holds commas, and the longest such name first (a,b,c beside folders a and a,b).
      expect(sourcesIn(at('trail,2024'))).toEqual([at('trail,2024')]);
      expect(sourcesIn(`${at('a,b,c')},archive`)).toEqual([at('a,b,c'), 'archive']);
      expect(sourcesIn(`${at('trail')},2025`)).toEqual([at('trail'), '2025']);
      // A file is not a folder source: a list, as before (ingest then says which is not a folder).
      expect(sourcesIn(at('file,x'))).toEqual([at('file'), 'x']);
      process.env.TRAILHOUND_SOURCE = ` ${at('trail,2024')} , s3://b `;
      expect(sourceList()).toEqual([at('trail,2024'), 's3://b']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('a source given twice, under any of its spellings, is read once', () => {
    const repeats: string[] = [];
    const given = ['s3://a', 'logs', 's3://a/', path.resolve('logs'), 's3://a/prefix'];
    expect(distinctSources(given, (s) => repeats.push(s))).toEqual(['s3://a', 'logs', 's3://a/prefix']);
    expect(repeats).toEqual(['s3://a/', path.resolve('logs')]);
  });
});

describe('retentionDays: --retention-days, else TRAILHOUND_RETENTION_DAYS', () => {
  afterEach(() => delete process.env.TRAILHOUND_RETENTION_DAYS);

  test('the flag first, then the variable; unset keeps every event', () => {
    expect(retentionDays()).toBeUndefined();
    process.env.TRAILHOUND_RETENTION_DAYS = '90';
    expect(retentionDays()).toBe(90);
    expect(retentionDays(7)).toBe(7);
  });

  // Unset, prune asks for a number: "unset it for the default" would send its user round in a circle.
  test('a variable that is no number says what unsetting it does, not that a default follows', () => {
    process.env.TRAILHOUND_RETENTION_DAYS = '0';
    const expected = 'expected a whole number, 1 or more, in decimal digits (or unset it to keep every event)';
    expect(() => retentionDays()).toThrow(new Error(`TRAILHOUND_RETENTION_DAYS=0: ${expected}`));
  });

  test('at most a hundred years: the variable names itself and the range', () => {
    process.env.TRAILHOUND_RETENTION_DAYS = '36500';
    expect(retentionDays()).toBe(36_500);
    process.env.TRAILHOUND_RETENTION_DAYS = '36501';
    const expected = 'expected a whole number from 1 to 36500 (a hundred years) (or unset it to keep every event)';
    expect(() => retentionDays()).toThrow(new Error(`TRAILHOUND_RETENTION_DAYS=36501: ${expected}`));
  });
});

describe('endpointUrl: an S3- or CloudTrail-compatible endpoint is an http(s) URL, or a message naming the setting', () => {
  test.each(['http://127.0.0.1:9000', 'https://s3.example.com/', 'http://[::1]:9000'])('%s is taken as given', (value) => {
    expect(endpointUrl(value, '--s3-endpoint')).toBe(value);
  });

  test('unset stays unset (AWS itself)', () => {
    expect(endpointUrl(undefined, '--s3-endpoint')).toBeUndefined();
  });

  // The SDK says "Invalid URL" for the first, and takes the second for a URL of the scheme localhost:.
  test.each(['127.0.0.1:9000', 'localhost:9000', 'ftp://127.0.0.1:9000', ''])('%j is refused, saying what is expected', (value) => {
    expect(() => endpointUrl(value, '--s3-endpoint (or TRAILHOUND_S3_ENDPOINT)')).toThrow(
      `--s3-endpoint (or TRAILHOUND_S3_ENDPOINT) ${value}: expected an http:// or https:// URL, e.g. http://127.0.0.1:9000`
    );
  });
});

test('dbPath: a leading ~ (TRAILHOUND_DB quoted, or set by systemd) is the home folder', () => {
  const inHome = path.join(os.homedir(), 'trailhound-data', 't.duckdb');
  expect(dbPath('~/trailhound-data/t.duckdb')).toBe(inHome);
  process.env.TRAILHOUND_DB = '~/trailhound-data/t.duckdb';
  try {
    expect(dbPath()).toBe(inHome);
  } finally {
    delete process.env.TRAILHOUND_DB;
  }
  // Only the home folder's own ~: a folder named ~ below this one, or another user's home, is left as written.
  expect(dbPath('./~/t.duckdb')).toBe('./~/t.duckdb');
  expect(dbPath('~other/t.duckdb')).toBe('~other/t.duckdb');
  // DuckDB's own reading of ~ agrees: cli.test.ts runs ingest so.
});

describe('missingDatabase: what to do when no database is at the file a command reads', () => {
  const missing = path.join(os.tmpdir(), 'trailhound-no-such-folder', 'x.duckdb');
  const saved = process.env.TRAILHOUND_DB;
  afterEach(() => (saved === undefined ? delete process.env.TRAILHOUND_DB : (process.env.TRAILHOUND_DB = saved)));

  test('the default file: run ingest first, or pass --db (the database may be elsewhere)', () => {
    delete process.env.TRAILHOUND_DB;
    expect(missingDatabase(missing)).toBe(`there is no database at ${missing}: run 'trailhound ingest' (or 'trailhound serve') first, or pass --db`);
  });

  test('a file --db or TRAILHOUND_DB names: check that setting (likely mistyped), not "pass --db" again', () => {
    delete process.env.TRAILHOUND_DB;
    const byFlag = `there is no database at ${missing}: check --db, or run 'trailhound ingest' (or 'trailhound serve') with that --db first`;
    expect(missingDatabase(missing, missing)).toBe(byFlag);
    process.env.TRAILHOUND_DB = missing;
    const byVariable =
      `there is no database at ${missing}: check TRAILHOUND_DB, or run 'trailhound ingest' (or 'trailhound serve') with that TRAILHOUND_DB first`;
    expect(missingDatabase(missing)).toBe(byVariable);
    // The flag wins, as it does over the variable.
    expect(missingDatabase(missing, missing)).toBe(byFlag);
  });

  test('a database there: nothing to say', () => {
    expect(missingDatabase(__filename, __filename)).toBeUndefined();
  });
});
