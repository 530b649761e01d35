/**
 * Reads a fetched response's body up to `maxBytes`: refused before reading when Content-Length already
 * says more, counted while reading otherwise (chunked or compressed). Over the limit the stream is
 * cancelled, which closes the connection, and the answer is undefined: the rest is never downloaded.
 */
export async function readBodyAtMost(response: Response, maxBytes: number): Promise<Buffer | undefined> {
  if (Number(response.headers.get('content-length')) > maxBytes) {
    await response.body?.cancel();
    return undefined;
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        return undefined;
      }
      chunks.push(value);
    }
  }
  return Buffer.concat(chunks);
}
