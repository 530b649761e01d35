/**
 * IdP metadata test helpers: the real metadata corpus, read in place, and the refusal assertions shared
 * by the importer's tests and its security tests.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { expect, vi } from 'vitest';
import { ROOT_DIR } from '../../src/paths.ts';
import { MetadataError, parseIdpMetadata, type MetadataErrorCode } from '../../src/sso/saml/idp-metadata.ts';

/** The real IdP metadata corpus, read in place (never copied): see ../shared/fixtures/README.md. */
export const FIXTURES = path.resolve(ROOT_DIR, '../shared/fixtures/idp-metadata');
/** The day the corpus was built: the README's "expired" column is relative to it. */
export const NOW = new Date('2026-11-22T00:00:00Z');

export const read = (file: string) => fs.readFileSync(path.join(FIXTURES, file), 'utf8');

export function catchError(fn: () => unknown): MetadataError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MetadataError) return error;
    throw error;
  }
  throw new Error('expected a MetadataError');
}

/**
 * Asserts the refusal code and that the XML parser never saw the document. The caller restores the spy
 * (`afterEach(() => vi.restoreAllMocks())`).
 */
export function refusedBeforeParsing(xml: string, code: MetadataErrorCode): MetadataError {
  const parse = vi.spyOn(DOMParser.prototype, 'parseFromString');
  const error = catchError(() => parseIdpMetadata(xml, { now: NOW }));
  expect(error.code).toBe(code);
  expect(parse).not.toHaveBeenCalled();
  return error;
}
