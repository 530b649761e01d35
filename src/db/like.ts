/** Escapes LIKE's wildcards (and the escape character) for use with an explicit `escape '\'`. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, '\\$&');
}
