/**
 * The C heap under DuckDB and the runtime's other native code. glibc's malloc keeps freed blocks in
 * per-thread arenas, so RSS ratchets up to the high-water mark of past work although nothing is live
 * (duckdb/duckdb#20569, #23253). Two calls through Deno's FFI, where the C library is glibc:
 * `mallopt(M_MMAP_THRESHOLD)` and `malloc_trim(0)`. Elsewhere (other OS, musl, no FFI permission) both are
 * no-ops that say so.
 */

const M_MMAP_THRESHOLD = -3;

interface Libc {
  malloc_trim(pad: bigint): number;
  mallopt(param: number, value: number): number;
}

let libc: Libc | null | undefined;

function openLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  if (Deno.build.os !== "linux") return null;
  try {
    libc = Deno.dlopen("libc.so.6", {
      malloc_trim: { parameters: ["usize"], result: "i32" },
      mallopt: { parameters: ["i32", "i32"], result: "i32" },
    }).symbols;
  } catch {
    libc = null;
  }
  return libc;
}

/** Calls `malloc_trim(0)`; returns false where there is no glibc or no FFI permission. */
export function trimNativeHeap(): boolean {
  const c = openLibc();
  if (!c) return false;
  c.malloc_trim(0n);
  return true;
}

/**
 * Fixes glibc's mmap threshold at `bytes`. By default glibc raises the threshold each time a mapped block
 * is freed, so after DuckDB frees its first 256 KB buffer blocks every later block comes from an arena,
 * where freed pages stay resident. With a fixed threshold each large block is its own mapping, returned
 * to the OS when DuckDB frees it: 2,000 typical files left 35 MB less RSS (measured in
 * docs/memory.md). Call it before DuckDB starts; returns false where it cannot apply.
 */
export function pinMmapThreshold(bytes = 64 * 1024): boolean {
  const c = openLibc();
  return c !== null && c.mallopt(M_MMAP_THRESHOLD, bytes) === 1;
}
