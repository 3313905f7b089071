/**
 * Hands memory that the C heap has freed back to the OS. DuckDB (and the runtime's other native code)
 * allocate through glibc's malloc, which keeps freed blocks in per-thread arenas: RSS then ratchets up
 * to the high-water mark of past work although nothing is live (duckdb/duckdb#20569, #23253). glibc's
 * `malloc_trim(0)` releases them; this calls it through Deno's FFI where the C library is glibc.
 */

let trim: (() => number) | null | undefined;

/** Calls `malloc_trim(0)`; returns false where there is no glibc (other OS, musl) or no FFI permission. */
export function trimNativeHeap(): boolean {
  if (trim === undefined) trim = openTrim();
  if (!trim) return false;
  trim();
  return true;
}

function openTrim(): (() => number) | null {
  if (Deno.build.os !== "linux") return null;
  try {
    const lib = Deno.dlopen("libc.so.6", { malloc_trim: { parameters: ["usize"], result: "i32" } });
    return () => lib.symbols.malloc_trim(0n);
  } catch {
    return null;
  }
}
