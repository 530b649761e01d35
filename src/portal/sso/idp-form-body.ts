import { Writable } from 'node:stream';
import { bodyParser } from '@koa/bodyparser';
import { errors as formErrors, formidable, multipart } from 'formidable';
import type { Context, Middleware, Next } from 'koa';
import { AppError } from '../../http/errors.ts';

/**
 * IdP metadata is larger than the pages toolkit's 20 kB forms (AD FS and aggregate exports run to a few
 * hundred kB): the IdP details form gets its own body parser, 1 MB at most.
 */
export const IDP_FORM_LIMIT_BYTES = 1024 * 1024;
const TOO_LARGE = 'IdP metadata larger than 1 MB is not accepted here. Metadata is usually well under 100 kB: check that you chose the IdP\'s metadata XML, or give its metadata URL instead.';

const parseUrlencoded = bodyParser({
  enableTypes: ['form'],
  formLimit: String(IDP_FORM_LIMIT_BYTES),
  onError(err) {
    const e = err as { status?: number; type?: string };
    if (e.status === 413 || e.type === 'entity.too.large') throw new AppError(413, 'payload_too_large', TOO_LARGE, { cause: err });
    throw new AppError(400, 'malformed_body', 'This form could not be read. Go back, reload the page and try again.', { cause: err });
  },
});

/** The text of an uploaded file: UTF-8, or UTF-16 when it starts with that byte order mark. */
function fileText(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  return new TextDecoder('utf-8').decode(bytes).replace(/^\uFEFF/, '');
}

/**
 * `multipart/form-data` with one file (`fileField`, from `<input type=file>`) through formidable, the
 * file kept in memory (never written to disk), or `application/x-www-form-urlencoded` (the metadata
 * pasted). Either way ctx.request.body becomes `{ name: string }`, the file's text under `fileField` and
 * its name under `${fileField}_name`, so verifyCsrf and the route read both alike.
 */
export function idpFormBody(fileField: string): Middleware {
  return async (ctx: Context, next: Next) => {
    if (!ctx.is('multipart/form-data')) return parseUrlencoded(ctx, next);
    const chunks: Buffer[] = [];
    const form = formidable({
      enabledPlugins: [multipart],
      maxFiles: 1,
      maxFileSize: IDP_FORM_LIMIT_BYTES,
      maxTotalFileSize: IDP_FORM_LIMIT_BYTES,
      maxFields: 30,
      maxFieldsSize: IDP_FORM_LIMIT_BYTES,
      // A form sent without a file chosen carries an empty part: that is "no file", not an error.
      allowEmptyFiles: true,
      minFileSize: 0,
      filter: (part) => part.name === fileField,
      fileWriteStreamHandler: () => new Writable({
        write(chunk: Buffer, _encoding, done) {
          chunks.push(chunk);
          done();
        },
      }),
    });
    let fields: Record<string, string[] | undefined>;
    let files: Record<string, Array<{ originalFilename: string | null; size: number }> | undefined>;
    try {
      [fields, files] = await form.parse(ctx.req);
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === formErrors.biggerThanMaxFileSize || code === formErrors.biggerThanTotalMaxFileSize || code === formErrors.maxFieldsSizeExceeded) {
        throw new AppError(413, 'payload_too_large', TOO_LARGE, { cause: err });
      }
      if (code === formErrors.maxFilesExceeded) throw new AppError(400, 'malformed_body', 'Choose one metadata file.', { cause: err });
      throw new AppError(400, 'malformed_body', 'This form could not be read. Go back, reload the page and try again.', { cause: err });
    }
    const body: Record<string, string> = {};
    for (const [name, values] of Object.entries(fields)) if (values?.[0] !== undefined) body[name] = values[0];
    const file = files[fileField]?.[0];
    if (file && file.originalFilename) {
      body[fileField] = fileText(Buffer.concat(chunks));
      body[`${fileField}_name`] = file.originalFilename;
    }
    ctx.request.body = body;
    await next();
  };
}
